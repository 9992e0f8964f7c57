using System.Globalization;
using System.Net;
using System.Text;

namespace SharpLM.Evaluation.Reports;

/// <summary>One line of a score-vs-step plot: a label and its (step, value, stderr) points.</summary>
public sealed record PlotSeries(string Label, IReadOnlyList<(long Step, double Value, double? Stderr)> Points);

/// <summary>
/// A self-contained SVG line chart of scores against training step (what FineMath's ablation figures show): one
/// line per series, ±1 standard-error bars, axes with round ticks, a legend. No script, no external fonts.
/// </summary>
public static class ScorePlot
{
    static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public static string Svg(IReadOnlyList<PlotSeries> series, string title, string yLabel, bool percent)
    {
        const int W = 720, H = 440, L = 70, R = 180, T = 40, B = 50;
        var pts = series.SelectMany(s => s.Points).ToList();
        if (pts.Count == 0) throw new ArgumentException("nothing to plot");
        double xMin = pts.Min(p => p.Step), xMax = pts.Max(p => p.Step);
        double yMin = pts.Min(p => p.Value - (p.Stderr ?? 0)), yMax = pts.Max(p => p.Value + (p.Stderr ?? 0));
        if (percent) yMin = Math.Min(yMin, 0);
        if (xMax == xMin) { xMin -= 1; xMax += 1; }
        if (yMax - yMin < 1e-12) { yMin -= 0.5; yMax += 0.5; }
        var yTicks = Ticks(yMin, yMax, 6);
        var xTicks = Ticks(xMin, xMax, 7);
        yMin = Math.Min(yMin, yTicks[0]); yMax = Math.Max(yMax, yTicks[^1]);
        xMin = Math.Min(xMin, xTicks[0]); xMax = Math.Max(xMax, xTicks[^1]);
        double X(double v) => L + (v - xMin) / (xMax - xMin) * (W - L - R);
        double Y(double v) => H - B - (v - yMin) / (yMax - yMin) * (H - T - B);

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        foreach (var t in yTicks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Y(t):F1}\" y2=\"{Y(t):F1}\" stroke=\"#e0e0e0\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L - 6}\" y=\"{Y(t) + 4:F1}\" text-anchor=\"end\">{Esc(FormatY(t, percent))}</text>\n");
        }
        foreach (var t in xTicks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(t):F1}\" x2=\"{X(t):F1}\" y1=\"{H - B}\" y2=\"{H - B + 5}\" stroke=\"black\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(t):F1}\" y=\"{H - B + 18}\" text-anchor=\"middle\">{t.ToString("0.##", CultureInfo.InvariantCulture)}</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{H - B}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{L}\" y1=\"{T}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">training step</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{(T + H - B) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(T + H - B) / 2})\">{Esc(yLabel)}</text>\n");

        for (int i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var ordered = series[i].Points.OrderBy(p => p.Step).ToList();
            var path = string.Join(" ", ordered.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Step):F1},{Y(p.Value):F1}")));
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{path}\"/>\n");
            foreach (var p in ordered)
            {
                if (p.Stderr is double se && se > 0)
                    sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(p.Step):F1}\" x2=\"{X(p.Step):F1}\" y1=\"{Y(p.Value - se):F1}\" y2=\"{Y(p.Value + se):F1}\" stroke=\"{color}\"/>\n");
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p.Step):F1}\" cy=\"{Y(p.Value):F1}\" r=\"3.5\" fill=\"{color}\"><title>{Esc(series[i].Label)} step {p.Step}: {Esc(FormatY(p.Value, percent))}</title></circle>\n");
            }
            int ly = T + 10 + i * 20;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{W - R + 15}\" x2=\"{W - R + 40}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W - R + 46}\" y=\"{ly + 4}\">{Esc(series[i].Label)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>About <paramref name="count"/> round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k).</summary>
    public static double[] Ticks(double lo, double hi, int count)
    {
        double raw = (hi - lo) / Math.Max(1, count - 1);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        double start = Math.Floor(lo / step) * step, end = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (double v = start; v <= end + step / 2; v += step) ticks.Add(Math.Round(v / step) * step);
        return ticks.ToArray();
    }

    static string FormatY(double v, bool percent) =>
        percent ? (100 * v).ToString("0.##", CultureInfo.InvariantCulture) + "%" : v.ToString("0.####", CultureInfo.InvariantCulture);

    static string Esc(string s) => WebUtility.HtmlEncode(s);
}
