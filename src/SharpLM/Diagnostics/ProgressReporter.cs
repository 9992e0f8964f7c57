using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SharpLM.Diagnostics;

/// <summary>
/// Progress for long work (training, evaluation, data pipelines): a redrawn bar with rate and ETA on a
/// terminal, plain lines at a fixed interval otherwise (logs, CI). Writes to stderr so stdout stays data.
/// </summary>
/// <remarks>
/// Library code that runs long takes an optional <see cref="ProgressReporter"/>; the CLI creates one.
/// Callers report absolute progress (<see cref="Report"/>) plus an optional short status such as
/// <c>loss 3.21</c>. Thread-safe.
/// </remarks>
public sealed class ProgressReporter : IDisposable
{
    readonly TextWriter _out;
    readonly string _label;
    readonly string _unit;
    readonly bool _interactive;
    readonly TimeSpan _interval;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly object _gate = new();
    long _total;
    long _done;
    long _startDone;
    TimeSpan _lastDraw = TimeSpan.FromDays(-1);
    bool _finished;

    /// <param name="label">What is progressing, e.g. <c>train</c>.</param>
    /// <param name="total">Units expected; 0 or less when unknown (no bar or ETA then).</param>
    /// <param name="unit">Unit name for the rate, e.g. <c>steps</c>, <c>samples</c>, <c>records</c>.</param>
    /// <param name="output">Where to write; stderr by default.</param>
    /// <param name="interactive">Force terminal (true) or plain (false) mode; default: stderr is a terminal.</param>
    /// <param name="plainInterval">Seconds between plain lines (default 10; a final line is always written).</param>
    public ProgressReporter(string label, long total, string unit = "items", TextWriter? output = null,
        bool? interactive = null, double plainInterval = 10)
    {
        _label = label;
        _total = total;
        _unit = unit;
        _out = output ?? Console.Error;
        _interactive = interactive ?? (output is null && !Console.IsErrorRedirected);
        _interval = _interactive ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(plainInterval);
    }

    /// <summary>Units already done before this run started (a resumed run); excluded from the rate.</summary>
    public void SetResumedFrom(long done)
    {
        lock (_gate) { _startDone = done; _done = done; }
    }

    /// <summary>Changes the expected total (e.g. once an input's size is known).</summary>
    public void SetTotal(long total)
    {
        lock (_gate) _total = total;
    }

    /// <summary>Reports that <paramref name="done"/> units are finished, with an optional status text.</summary>
    public void Report(long done, string? status = null)
    {
        lock (_gate)
        {
            _done = done;
            var now = _clock.Elapsed;
            if (now - _lastDraw < _interval && (_total <= 0 || done < _total)) return;
            _lastDraw = now;
            Draw(status, final: false);
        }
    }

    /// <summary>Writes the final line (always, in both modes).</summary>
    public void Finish(string? status = null)
    {
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            Draw(status, final: true);
        }
    }

    public void Dispose() => Finish();

    void Draw(string? status, bool final)
    {
        var elapsed = _clock.Elapsed.TotalSeconds;
        var doneHere = _done - _startDone;
        var rate = elapsed > 0 ? doneHere / elapsed : 0;
        var sb = new StringBuilder();
        sb.Append(_label).Append(' ');
        if (_total > 0)
        {
            var frac = Math.Clamp((double)_done / _total, 0, 1);
            if (_interactive)
            {
                const int width = 24;
                int filled = (int)Math.Round(frac * width);
                sb.Append('[').Append('#', filled).Append('.', width - filled).Append("] ");
            }
            sb.Append(CultureInfo.InvariantCulture, $"{_done}/{_total} {frac * 100:F1}%");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{_done} {_unit}");
        }
        sb.Append(CultureInfo.InvariantCulture, $" | {FormatRate(rate)} {_unit}/s");
        sb.Append(" | ").Append(FormatTime(elapsed));
        if (_total > 0 && !final && rate > 0)
            sb.Append(" ETA ").Append(FormatTime((_total - _done) / rate));
        if (!string.IsNullOrEmpty(status)) sb.Append(" | ").Append(status);

        if (_interactive)
        {
            _out.Write('\r');
            _out.Write(sb.ToString());
            _out.Write("\u001b[K");
            if (final) _out.WriteLine();
        }
        else
        {
            _out.WriteLine(sb.ToString());
        }
        _out.Flush();
    }

    static string FormatRate(double r) => r switch
    {
        >= 100 => r.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => r.ToString("F1", CultureInfo.InvariantCulture),
        _ => r.ToString("F2", CultureInfo.InvariantCulture),
    };

    /// <summary>Seconds as <c>m:ss</c> or <c>h:mm:ss</c>.</summary>
    public static string FormatTime(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds < 0) return "?";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:D2}");
    }
}
