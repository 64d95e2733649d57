namespace Plugboard.Cli.Output;

/// <summary>Writes rows as left-aligned columns separated by two spaces.</summary>
internal static class Table
{
    /// <summary>Writes a header and rows.</summary>
    public static void Write(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = new int[header.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in all)
        {
            var cells = row.Select((cell, i) => i == row.Count - 1 ? cell : cell.PadRight(widths[i]));
            writer.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
