using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Tests.Storage;

public sealed class StorageOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new StorageOptions();

        Assert.Equal(512, options.MaxKeyBytes);
        Assert.Equal(1024 * 1024, options.MaxValueBytes);
        Assert.Equal(1000, options.MaxListKeys);
        options.Validate();
    }

    [Theory]
    [InlineData(0, 1, 1, "MaxKeyBytes")]
    [InlineData(StorageOptions.MaxKeyBytesUpperBound + 1, 1, 1, "MaxKeyBytes")]
    [InlineData(1, 0, 1, "MaxValueBytes")]
    [InlineData(1, 1, 0, "MaxListKeys")]
    [InlineData(1, 1, 100_001, "MaxListKeys")]
    public void Validate_OutOfRange_ThrowsErrorNamingTheOption(int maxKeyBytes, int maxValueBytes, int maxListKeys, string option)
    {
        var options = new PostgresStorageOptions { MaxKeyBytes = maxKeyBytes, MaxValueBytes = maxValueBytes, MaxListKeys = maxListKeys };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains($"PostgresStorageOptions.{option}", error.Message, StringComparison.Ordinal);
    }
}
