namespace RawRelay;

/// <summary>The relay cannot start (port taken, control path held, static folder missing): exit 1.</summary>
internal sealed class StartupException(string message) : Exception(message);
