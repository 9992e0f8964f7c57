using SharpLM.Tensors;

namespace SharpLM.Models.Gemma3;

/// <summary>A tensor of a loaded checkpoint: its stored name and file, type, row-major shape and bytes in place.</summary>
public readonly unsafe record struct TensorRef(string Name, string File, TensorType Type, long[] Shape, nint Data, long ByteLength)
{
    public byte* Pointer => (byte*)Data;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }
}
