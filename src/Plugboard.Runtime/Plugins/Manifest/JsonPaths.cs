using System.Text;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Builds the JSON paths used in every validation message: <c>$</c> for the root, <c>.name</c> for a property whose
/// name is an identifier, <c>['odd name']</c> otherwise, and <c>[3]</c> for an array index.
/// </summary>
internal static class JsonPaths
{
    public const string Root = "$";

    public static string Property(string parent, string name)
    {
        if (IsIdentifier(name))
        {
            return parent + "." + name;
        }

        var builder = new StringBuilder(parent.Length + name.Length + 4).Append(parent).Append("['");
        foreach (var c in name)
        {
            _ = c switch
            {
                '\'' => builder.Append("\\'"),
                '\\' => builder.Append("\\\\"),
                < ' ' => builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.Append("']").ToString();
    }

    public static string Index(string parent, int index)
        => parent + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

    /// <summary>Re-roots a path that starts with <c>$</c> under <paramref name="prefix"/>.</summary>
    public static string Rebase(string prefix, string path)
        => path.Length > 0 && path[0] == '$' ? prefix + path[1..] : prefix + path;

    public static string PointerToken(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_' || name[0] == '$'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$' || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
