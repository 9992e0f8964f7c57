using SharpLM.Data.Dedup;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>Computes each kept page's MinHash band keys for the dedup stage (keeps every page).</summary>
public sealed class SignatureStep(MinHasher hasher, List<ulong[]> keys) : PipelineStep
{
    public override string Name => "minhash";

    protected override string? Apply(Document doc)
    {
        keys.Add(hasher.BandKeys(doc.Text));
        return null;
    }
}
