namespace SharpLM.Evaluation.Perplexity;

/// <summary>
/// Corpus-level perplexity figures, aggregated as lm-evaluation-harness does (sums over all documents, then the
/// ratio): token perplexity exp(NLL / tokens), bits per byte NLL / (bytes · ln 2), byte perplexity
/// exp(NLL / bytes) and word perplexity exp(NLL / words), with NLL in nats.
/// </summary>
public sealed record PerplexityResult(
    int Documents,
    int Windows,
    long Tokens,
    long Bytes,
    long Words,
    double NegativeLogLikelihood,
    int WindowLength,
    int Stride,
    bool Complete)
{
    public double Perplexity => Math.Exp(NegativeLogLikelihood / Tokens);
    public double BitsPerByte => NegativeLogLikelihood / (Bytes * Math.Log(2));
    public double BytePerplexity => Math.Exp(NegativeLogLikelihood / Bytes);
    public double WordPerplexity => Math.Exp(NegativeLogLikelihood / Words);
}
