namespace Plugboard.Runtime.Plugins;

/// <summary>One problem in a plugin manifest or in a plugin configuration.</summary>
/// <param name="Path">The JSON path of the offending field, e.g. <c>$.components.tools[1].parameters</c> (<c>$</c> is the document root).</param>
/// <param name="Message">What is wrong and what is expected, e.g. <c>expected a JSON Schema object (got string)</c>.</param>
public sealed record ManifestError(string Path, string Message)
{
    /// <summary>The error as one line: <c>path: message</c>.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString() => $"{Path}: {Message}";
}
