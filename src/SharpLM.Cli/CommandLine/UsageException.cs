namespace SharpLM.Cli.CommandLine;

/// <summary>A command line that cannot be run as written (unknown option, missing value, bad number). Exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
