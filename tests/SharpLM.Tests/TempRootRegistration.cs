// Every test's temporary files go under one run root that is removed when the run ends (tests/Shared/TestTempRoot.cs).
[assembly: TestFramework(SharpLM.Testing.TempRootTestFramework.TypeName, "SharpLM.Tests")]
