namespace SharpLM.Bench.Llama;

/// <summary>
/// The second llama.cpp build: npm node-llama-cpp 3.22.1's prebuilt CPU backends, run by node-llama-peer/run.mjs
/// in its own node process (timed the same way as <see cref="LlamaCppRunner"/>). Its package versions are pinned
/// in node-llama-peer/package-lock.json; <c>npm ci --ignore-scripts</c> installs them on first use (the install
/// scripts would try to download or compile llama.cpp; the prebuilt binaries are plain npm packages).
/// </summary>
static class NodePeer
{
    /// <summary>The peer's folder once its packages are installed; null (with the reason on <paramref name="log"/>) when it cannot run.</summary>
    public static string? Prepare(TextWriter log)
    {
        string dir = Path.Combine(BenchSupport.RepoRoot(), "bench", "SharpLM.Bench", "Llama", "node-llama-peer");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "node-llama-cpp")))
        {
            log.WriteLine($"installing the node-llama-cpp peer: npm ci in {dir}");
            if (BenchSupport.RunToEnd("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], dir, out _, out string err) != 0)
            {
                log.WriteLine($"node-llama-cpp peer unavailable (npm ci failed: {err.Trim()}); its columns are n/a");
                return null;
            }
        }
        return dir;
    }

    public static RunResult Run(string dir, string model, int threads, int pp, int tg, int seed)
    {
        int rc = BenchSupport.RunToEnd("node", ["run.mjs", model, $"{threads}", $"{pp}", $"{tg}", $"{seed}"], dir, out string stdout, out string stderr);
        return RunResult.FromChild("node-llama-cpp", rc, stdout, stderr);
    }
}
