namespace RawRelay.Cluster;

/// <summary>Redis cannot be reached (or did not answer in time): the command gets <c>ERR cluster unavailable</c>.</summary>
internal sealed class ClusterUnavailableException(string message) : Exception(message);
