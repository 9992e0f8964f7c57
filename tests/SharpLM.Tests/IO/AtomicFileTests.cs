using SharpLM.IO;

namespace SharpLM.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void UncommittedWriteLeavesOldFileAndNoTemp()
    {
        var dir = TestPaths.NewTempDir();
        var p = Path.Combine(dir, "a.bin");
        AtomicFile.WriteAllText(p, "old");
        using (var w = AtomicFile.Create(p))
        {
            w.Stream.Write("new-but-abandoned"u8);
        }
        Assert.Equal("old", File.ReadAllText(p));
        Assert.Single(Directory.GetFiles(dir));
        AtomicFile.WriteAllText(p, "new");
        Assert.Equal("new", File.ReadAllText(p));
    }
}
