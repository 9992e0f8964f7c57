using System.Globalization;
using System.Text;

namespace SharpLM.Training;

/// <summary>
/// Draws the training and evaluation loss against the step as a self-contained SVG (no fonts or scripts to
/// fetch): raw training loss faint, its exponential moving average solid, evaluation loss as points joined
/// by a line.
/// </summary>
public static class LossCurveSvg
{
    const int Width = 720, Height = 420, Left = 64, Right = 20, Top = 36, Bottom = 48;

    public static string Render(IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> eval, string title)
    {
        var all = train.Concat(eval).Where(p => double.IsFinite(p.Loss)).ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        if (all.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data yet</text>\n</svg>\n");
            return sb.ToString();
        }
        double x0 = all.Min(p => p.Step), x1 = all.Max(p => p.Step);
        if (x1 <= x0) x1 = x0 + 1;
        double y0 = all.Min(p => p.Loss), y1 = all.Max(p => p.Loss);
        if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
        var yTicks = Ticks(y0, y1, 6);
        var xTicks = Ticks(x0, x1, 8);
        y0 = Math.Min(y0, yTicks[0]);
        y1 = Math.Max(y1, yTicks[^1]);
        double pw = Width - Left - Right, ph = Height - Top - Bottom;
        double X(double s) => Left + (s - x0) / (x1 - x0) * pw;
        double Y(double l) => Top + (1 - (l - y0) / (y1 - y0)) * ph;

        foreach (var t in yTicks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(t):F1}\" y2=\"{Y(t):F1}\" stroke=\"#e4e4e4\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Y(t) + 4:F1}\" text-anchor=\"end\">{Format(t)}</text>\n");
        }
        foreach (var t in xTicks.Where(t => t >= x0 && t <= x1))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(t):F1}\" x2=\"{X(t):F1}\" y1=\"{Top + ph}\" y2=\"{Top + ph + 4}\" stroke=\"#444\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(t):F1}\" y=\"{Top + ph + 18}\" text-anchor=\"middle\">{Format(t)}</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#444\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + pw / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">step</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{Top + ph / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {Top + ph / 2})\">loss (nats/token)</text>\n");

        var finiteTrain = train.Where(p => double.IsFinite(p.Loss)).ToList();
        if (finiteTrain.Count > 0)
        {
            Polyline(sb, finiteTrain.Select(p => (X(p.Step), Y(p.Loss))), "#9ecae1", 1);
            double ema = finiteTrain[0].Loss, alpha = 2.0 / (1 + Math.Clamp(finiteTrain.Count / 20.0, 1, 50));
            var smooth = new List<(double, double)>();
            foreach (var p in finiteTrain) { ema += alpha * (p.Loss - ema); smooth.Add((X(p.Step), Y(ema))); }
            Polyline(sb, smooth, "#1f77b4", 2);
        }
        var finiteEval = eval.Where(p => double.IsFinite(p.Loss)).ToList();
        if (finiteEval.Count > 0)
        {
            Polyline(sb, finiteEval.Select(p => (X(p.Step), Y(p.Loss))), "#ff7f0e", 2);
            foreach (var p in finiteEval)
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p.Step):F1}\" cy=\"{Y(p.Loss):F1}\" r=\"3\" fill=\"#ff7f0e\"/>\n");
        }
        int lx = Width - Right - 150, ly = Top + 12;
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" x2=\"{lx + 24}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{lx + 30}\" y=\"{ly + 4}\">train (smoothed)</text>\n");
        if (finiteEval.Count > 0)
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" x2=\"{lx + 24}\" y1=\"{ly + 18}\" y2=\"{ly + 18}\" stroke=\"#ff7f0e\" stroke-width=\"2\"/><text x=\"{lx + 30}\" y=\"{ly + 22}\">eval</text>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static void Polyline(StringBuilder sb, IEnumerable<(double X, double Y)> pts, string color, double width)
    {
        sb.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append(CultureInfo.InvariantCulture, $"\" stroke-width=\"{width}\" points=\"");
        foreach (var (x, y) in pts) sb.Append(CultureInfo.InvariantCulture, $"{x:F1},{y:F1} ");
        sb.Append("\"/>\n");
    }

    /// <summary>"Nice" tick values (1, 2, 5 × 10^k) covering [lo, hi].</summary>
    internal static double[] Ticks(double lo, double hi, int count)
    {
        double raw = (hi - lo) / Math.Max(1, count - 1);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        double start = Math.Floor(lo / step) * step;
        var ticks = new List<double>();
        for (double t = start; t <= hi + step * 0.5; t += step) ticks.Add(Math.Round(t / step) * step);
        return ticks.ToArray();
    }

    static string Format(double v) => Math.Abs(v) >= 10000 ? v.ToString("0.#e0", CultureInfo.InvariantCulture)
        : Math.Abs(v - Math.Round(v)) < 1e-9 ? v.ToString("0", CultureInfo.InvariantCulture)
        : v.ToString("0.###", CultureInfo.InvariantCulture);

    static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
