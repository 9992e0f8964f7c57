using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace SharpLM.Data.Html.Readability;

/// <summary>
/// The class/id hints and element classes of the Readability algorithm (Mozilla's Readability.js, whose
/// published behaviour this re-implements in our own code), plus <c>math</c>/<c>mathjax</c>/<c>katex</c> as
/// "maybe a candidate" words so a formula container is never taken for boilerplate.
/// </summary>
static partial class ReadabilityRules
{
    [GeneratedRegex(@"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote|cookie|consent|newsletter|subscribe", RegexOptions.IgnoreCase)]
    public static partial Regex UnlikelyCandidates();

    [GeneratedRegex(@"and|article|body|column|content|main|mathjax|shadow|math|katex|equation|question|answer|post-text|postcell|answercell", RegexOptions.IgnoreCase)]
    public static partial Regex MaybeCandidate();

    [GeneratedRegex(@"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|math|proof|theorem|solution", RegexOptions.IgnoreCase)]
    public static partial Regex Positive();

    [GeneratedRegex(@"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|cookie|consent", RegexOptions.IgnoreCase)]
    public static partial Regex Negative();

    [GeneratedRegex(@"byline|author|dateline|writtenby|p-author", RegexOptions.IgnoreCase)]
    public static partial Regex Byline();

    [GeneratedRegex(@"(\b|_)(share|sharedaddy)(\b|_)", RegexOptions.IgnoreCase)]
    public static partial Regex ShareElements();

    [GeneratedRegex(@"^(ad(vertising|vertisement)?|pub(licité)?|werb(ung)?|广告|Реклама|Anuncio)$", RegexOptions.IgnoreCase)]
    public static partial Regex AdWords();

    [GeneratedRegex(@"^((loading|正在加载|Загрузка|chargement|cargando)(…|\.\.\.)?)$", RegexOptions.IgnoreCase)]
    public static partial Regex LoadingWords();

    [GeneratedRegex(@"\.( |$)")]
    public static partial Regex SentenceEnd();

    public static readonly FrozenSet<string> UnlikelyRoles = FrozenSet.ToFrozenSet(
        ["menu", "menubar", "complementary", "navigation", "alert", "alertdialog", "dialog"], StringComparer.Ordinal);

    /// <summary>Elements whose text is scored (Readability's DEFAULT_TAGS_TO_SCORE).</summary>
    public static readonly FrozenSet<string> TagsToScore = FrozenSet.ToFrozenSet(
        ["section", "h2", "h3", "h4", "h5", "h6", "p", "td", "pre"], StringComparer.Ordinal);

    /// <summary>Children that keep a <c>div</c> from being a paragraph (DIV_TO_P_ELEMS).</summary>
    public static readonly FrozenSet<string> DivToPElements = FrozenSet.ToFrozenSet(
        ["blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul"], StringComparer.Ordinal);

    /// <summary>Inline (phrasing) elements: runs of these inside a div are wrapped into paragraphs.</summary>
    public static readonly FrozenSet<string> Phrasing = FrozenSet.ToFrozenSet(
    [
        "abbr", "audio", "b", "bdo", "br", "button", "cite", "code", "data", "datalist", "dfn", "em", "embed", "i",
        "img", "input", "kbd", "label", "mark", "math", "meter", "noscript", "object", "output", "progress", "q",
        "ruby", "samp", "script", "select", "small", "span", "strong", "sub", "sup", "textarea", "time", "var", "wbr",
    ], StringComparer.Ordinal);

    public static readonly FrozenSet<string> AlterToDivExceptions = FrozenSet.ToFrozenSet(
        ["div", "article", "section", "p", "ol", "ul"], StringComparer.Ordinal);
}
