using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SharpLM.Testing;

/// <summary>
/// xunit's own framework, plus the test run's <see cref="TestTempRoot"/>: created (and dead runs' roots swept) before
/// the first test, removed after the last one. Registered per test assembly with
/// <c>[assembly: TestFramework(TempRootTestFramework.TypeName, "&lt;assembly&gt;")]</c>.
/// Why not a ProcessExit handler: <c>dotnet test</c> gives the test host about 100 ms to exit once the run is over
/// and then kills it, so a handler that deletes hundreds of MB would be cut off. Here the removal runs inside the
/// run, before xunit reports the assembly finished; a failure to remove is reported as an error of the run.
/// </summary>
public sealed class TempRootTestFramework(IMessageSink diagnosticMessageSink) : XunitTestFramework(diagnosticMessageSink)
{
    public const string TypeName = "SharpLM.Testing.TempRootTestFramework";

    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override async Task AfterTestAssemblyStartingAsync()
        {
            await base.AfterTestAssemblyStartingAsync();
            // A failure here (an unwritable temp folder) fails every test with its reason. The test host's stdout and
            // stderr never reach the `dotnet test` console; xunit's diagnostic messages do (`-- xUnit.DiagnosticMessages=true`).
            Aggregator.Run(() =>
            {
                string root = TestTempRoot.Path;
                if (TestTempRoot.Keep) DiagnosticMessageSink.OnMessage(new DiagnosticMessage($"{TestTempRoot.KeepVariable}=1: this test run's temporary files stay in {root}"));
            });
        }

        protected override async Task BeforeTestAssemblyFinishedAsync()
        {
            await base.BeforeTestAssemblyFinishedAsync();
            Aggregator.Run(TestTempRoot.Remove);
        }
    }
}
