namespace SharpLM.Evaluation.Backends;

/// <summary>
/// A model that can score text token by token, for perplexity: its tokenizer, its context length and the
/// log-probability it gives each next token.
/// </summary>
public interface ITokenLogProbSource : IDisposable
{
    /// <summary>What is being scored (model path), for the summary.</summary>
    string Description { get; }

    /// <summary>Longest token sequence one call to <see cref="LogProbs"/> accepts.</summary>
    int ContextLength { get; }

    /// <summary>The beginning-of-sequence token that opens a document, or null when the model has none.</summary>
    int? BosToken { get; }

    /// <summary>Token ids of <paramref name="text"/>, without BOS.</summary>
    int[] Tokenize(string text);

    /// <summary>
    /// Natural-log probabilities of each next token: <c>logProbs[i] = log p(tokens[i+1] | tokens[0..i])</c> for
    /// <c>i</c> in <c>[0, tokens.Length − 1)</c>.
    /// </summary>
    void LogProbs(ReadOnlySpan<int> tokens, Span<double> logProbs, CancellationToken cancellation);
}
