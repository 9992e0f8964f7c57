using System.Globalization;
using System.Text;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// The options the tokenizer suites share — <c>--tokenizer PATH</c> (default: the installed Gemma 3 tokenizer.json),
/// <c>--data DIR</c> (default: $SHARPLM_SHARED_DATA or ../shared/data), <c>--mb M</c>, <c>--rounds R</c>,
/// <c>--threads N</c> (default: every core) — and the corpus they encode.
/// </summary>
internal sealed record TokenizerBenchOptions(string TokenizerPath, string DataDir, double Mb, int Rounds, int Threads)
{
    public static TokenizerBenchOptions Parse(string[] args, double defaultMb, int defaultRounds) => new(
        Option(args, "--tokenizer") ?? FindTokenizer(),
        Option(args, "--data") ?? Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA") ?? FindSharedData(),
        double.Parse(Option(args, "--mb") ?? defaultMb.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        int.Parse(Option(args, "--rounds") ?? defaultRounds.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        int.Parse(Option(args, "--threads") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));

    /// <summary>About <see cref="Mb"/> MB of real text in chunks of ≤ 4 KB (<see cref="TokenizerBench.Corpus"/>), and its UTF-8 size in MB.</summary>
    public (List<string> Chunks, double Mbytes) Corpus()
    {
        var chunks = TokenizerBench.Corpus(DataDir, (long)(Mb * 1e6));
        return (chunks, chunks.Sum(c => (long)Encoding.UTF8.GetByteCount(c)) / 1e6);
    }
}
