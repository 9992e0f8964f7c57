using SharpLM.Cli.CommandLine;

namespace SharpLM.Tests.Cli;

public class CommandArgsTests
{
    [Fact]
    public void ParsesValuesFlagsMultiAndPositionals()
    {
        var a = CommandArgs.Parse(["model.gguf", "--prompt", "hi there", "-n", "3", "--json", "--input", "a", "b", "--seed", "-7"],
            valued: ["--prompt", "-n", "--seed"], flags: ["--json"], multi: ["--input"]);
        Assert.Equal("model.gguf", a.Positional(0, "MODEL"));
        Assert.Equal("hi there", a.String("--prompt"));
        Assert.Equal(-7, a.Int("--seed", 0));
        Assert.True(a.Flag("--json"));
        Assert.Equal(["a", "b"], a.Strings("--input"));
    }

    [Fact]
    public void UnknownOptionsAndBadNumbersAreUsageErrors()
    {
        Assert.Throws<UsageException>(() => CommandArgs.Parse(["--nope"], valued: ["--prompt"]));
        Assert.Throws<UsageException>(() => CommandArgs.Parse(["--prompt"], valued: ["--prompt"]));
        var a = CommandArgs.Parse(["-n", "x"], valued: ["-n"]);
        Assert.Throws<UsageException>(() => a.Int("-n", 1));
        Assert.Throws<UsageException>(() => CommandArgs.Parse(["--t", "nan"], valued: ["--t"]).Double("--t", 1));
    }
}
