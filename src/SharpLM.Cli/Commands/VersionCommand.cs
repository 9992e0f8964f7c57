using System.Reflection;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm version</c>: the tool's version and the runtime it runs on.</summary>
public static class VersionCommand
{
    public static int Run(string[] args)
    {
        var v = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        Console.WriteLine($"sharplm {v} (.NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture})");
        return 0;
    }
}
