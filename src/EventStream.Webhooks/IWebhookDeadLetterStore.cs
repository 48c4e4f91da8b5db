namespace EventStream.Webhooks;

/// <summary>Where undeliverable events go. An event counts as handled (the checkpoint may pass it) once <see cref="AddAsync"/> returns.</summary>
public interface IWebhookDeadLetterStore
{
    /// <summary>Keeps a dead letter durably.</summary>
    /// <param name="deadLetter">The dead letter.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once it is kept.</returns>
    ValueTask AddAsync(WebhookDeadLetter deadLetter, CancellationToken cancellationToken);
}
