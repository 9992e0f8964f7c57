namespace SharpLM.Training.Optimization;

/// <summary>The shape of the learning rate over training (<c>--schedule</c>).</summary>
public enum ScheduleKind { Constant, Cosine, Wsd }

/// <summary>
/// Learning rate at each step (0-based), after a linear warmup from lr/warmup to lr over <see cref="Warmup"/> steps:
/// <list type="bullet">
/// <item><c>constant</c>: lr;</item>
/// <item><c>cosine</c>: min + ½(lr − min)(1 + cos(π·p)), p going 0 → 1 from the end of warmup to the last step;</item>
/// <item><c>wsd</c> (warmup–stable–decay): lr until the last <see cref="DecayFraction"/> of the steps, then linear to min.</item>
/// </list>
/// </summary>
public sealed record LearningRateSchedule(ScheduleKind Kind, double PeakLr, double MinLr, int Warmup, long TotalSteps, double DecayFraction = 0.2)
{
    public double At(long step)
    {
        if (Warmup > 0 && step < Warmup) return PeakLr * (step + 1) / Warmup;
        switch (Kind)
        {
            case ScheduleKind.Constant:
                return PeakLr;
            case ScheduleKind.Cosine:
            {
                long span = Math.Max(1, TotalSteps - 1 - Warmup);
                double p = Math.Clamp((double)(step - Warmup) / span, 0, 1);
                return MinLr + 0.5 * (PeakLr - MinLr) * (1 + Math.Cos(Math.PI * p));
            }
            default:
            {
                long decaySteps = Math.Max(1, (long)Math.Round(TotalSteps * DecayFraction));
                long decayStart = TotalSteps - decaySteps;
                if (step < decayStart) return PeakLr;
                double p = Math.Clamp((double)(step - decayStart + 1) / decaySteps, 0, 1);
                return PeakLr + (MinLr - PeakLr) * p;
            }
        }
    }

    public static ScheduleKind Parse(string s) => s switch
    {
        "constant" => ScheduleKind.Constant,
        "cosine" => ScheduleKind.Cosine,
        "wsd" => ScheduleKind.Wsd,
        _ => throw new ArgumentException($"unknown schedule '{s}'"),
    };

    public static string Name(ScheduleKind k) => k switch { ScheduleKind.Constant => "constant", ScheduleKind.Cosine => "cosine", _ => "wsd" };
}
