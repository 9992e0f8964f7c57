namespace SharpLM.Tests.Training;

/// <summary>Central finite differences in double: the independent reference for every backward.</summary>
public static class GradCheck
{
    /// <summary>
    /// For each index of <paramref name="x"/> (or a sample of <paramref name="maxChecks"/>), compares
    /// <paramref name="analytic"/>[i] with (L(x+h·e_i) − L(x−h·e_i)) / 2h. Returns the worst error, measured as
    /// |a − n| / max(|a|, |n|, floor), floor = <paramref name="floor"/>·max_i |analytic_i|: entries much smaller than
    /// the largest gradient are judged on absolute error, where central differences' rounding noise lives.
    /// </summary>
    public static double WorstError(Span<double> x, ReadOnlySpan<double> analytic, Func<double> loss, string what,
        double h = 1e-5, int maxChecks = int.MaxValue, double floor = 1e-2)
    {
        var errors = Worst(x, analytic, loss, h, maxChecks, floor);
        return errors.Error;
    }

    /// <summary>Fails with the worst index and both values when the error exceeds <paramref name="tolerance"/>.</summary>
    public static void Check(Span<double> x, ReadOnlySpan<double> analytic, Func<double> loss, string what, double tolerance,
        double h = 1e-5, int maxChecks = int.MaxValue, double floor = 1e-2)
    {
        var (err, i, a, n) = Worst(x, analytic, loss, h, maxChecks, floor);
        Xunit.Assert.True(err <= tolerance, $"{what}: worst relative error {err:E2} at [{i}]: analytic {a:R}, numeric {n:R}");
    }

    public static (double Error, int Index, double Analytic, double Numeric) Worst(Span<double> x, ReadOnlySpan<double> analytic,
        Func<double> loss, double h = 1e-5, int maxChecks = int.MaxValue, double floor = 1e-2)
    {
        int n = x.Length;
        double largest = 0;
        foreach (var v in analytic) largest = Math.Max(largest, Math.Abs(v));
        floor = Math.Max(floor * largest, 1e-12);
        int step = Math.Max(1, n / Math.Max(1, maxChecks));
        (double, int, double, double) worst = (0, -1, 0, 0);
        for (int i = 0; i < n; i += step)
        {
            double keep = x[i];
            x[i] = keep + h;
            double up = loss();
            x[i] = keep - h;
            double down = loss();
            x[i] = keep;
            double num = (up - down) / (2 * h);
            double err = Math.Abs(analytic[i] - num) / Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(num)), floor);
            if (err > worst.Item1) worst = (err, i, analytic[i], num);
        }
        return worst;
    }

    public static double[] RandomArray(int n, int seed, double scale = 1)
    {
        var r = new Random(seed);
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
