using System.Globalization;

namespace SharpLM.Bench.Llama;

/// <summary>
/// <c>llama-child ENGINE MODEL THREADS PP TG SEED</c>: one timed run in this process, result as a JSON line.
/// The parent (<see cref="LlamaSuite"/>) starts one child per run so each engine's RSS and page cache state are
/// its own and neither warms the other's heap.
/// </summary>
public static class ChildMain
{
    public static int Run(string[] args)
    {
        if (args.Length < 6)
        {
            Console.Error.WriteLine("usage: llama-child sharplm|llama.cpp MODEL THREADS PP TG SEED");
            return 2;
        }
        string engine = args[0], model = args[1];
        int threads = int.Parse(args[2], CultureInfo.InvariantCulture);
        int pp = int.Parse(args[3], CultureInfo.InvariantCulture);
        int tg = int.Parse(args[4], CultureInfo.InvariantCulture);
        int seed = int.Parse(args[5], CultureInfo.InvariantCulture);
        RunResult r = engine switch
        {
            "llama.cpp" => LlamaCppRunner.Run(model, threads, pp, tg, seed),
            "sharplm" => SharpLmRunner.Run(model, threads, pp, tg, seed),
            _ => throw new ArgumentException($"unknown engine {engine}"),
        };
        Console.WriteLine(r.ToJson());
        return 0;
    }
}
