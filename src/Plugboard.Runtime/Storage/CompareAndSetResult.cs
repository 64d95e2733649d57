namespace Plugboard.Runtime.Storage;

/// <summary>The outcome of <see cref="IPlugboardStorage.CompareAndSetAsync"/>.</summary>
/// <param name="Succeeded"><see langword="true"/> when the value was written.</param>
/// <param name="CurrentVersion">
/// On success, the new version of the key. On failure, the version the key had when the comparison failed, or
/// <see langword="null"/> when the key did not exist (then re-read the key and retry).
/// </param>
public readonly record struct CompareAndSetResult(bool Succeeded, long? CurrentVersion);
