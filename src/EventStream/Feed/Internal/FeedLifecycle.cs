using System.Diagnostics;

namespace EventStream.Feed.Internal;

/// <summary>
/// A feed's lifecycle as one state: <see cref="Created"/> → <see cref="Running"/> → <see cref="Stopping"/> →
/// <see cref="Completed"/> | <see cref="Faulted"/> (a feed may also fault or complete straight from Running, and stop
/// before it ever ran). Transitions are compare-and-swap on one int; the terminal states are final. The feed's status and
/// its <see cref="EventFeed.Completion"/> are both derived from here, so they cannot disagree.
/// </summary>
internal sealed class FeedLifecycle
{
    public const int Created = 0;
    public const int Running = 1;
    public const int Stopping = 2;
    public const int Completed = 3;
    public const int Faulted = 4;

    /// <summary>The state: one of the constants above; only ever moves forward.</summary>
    private int _state;

    /// <summary>Why the feed faulted; written once, before <see cref="_state"/> becomes <see cref="Faulted"/>.</summary>
    private Exception? _error;

    /// <summary>Completes (or faults) once everyone has been told of the terminal state; see <see cref="Settle"/>.</summary>
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int State => Volatile.Read(ref _state);

    public bool IsTerminal => State >= Completed;

    public bool IsFaulted => State == Faulted;

    /// <summary>The fault, once <see cref="State"/> is <see cref="Faulted"/>; otherwise <see langword="null"/>.</summary>
    public Exception? Error => State == Faulted ? Volatile.Read(ref _error) : null;

    public Task Completion => _completion.Task;

    /// <summary>Created → Running.</summary>
    public bool TryStart() => Move(Created, Running);

    /// <summary>Created or Running → Stopping (disposal began).</summary>
    public bool TryStop() => Move(Created, Stopping) || Move(Running, Stopping);

    /// <summary>Any non-terminal state → Completed. <see cref="Completion"/> is not settled yet: see <see cref="Settle"/>.</summary>
    public bool TryComplete()
    {
        while (true)
        {
            int current = State;
            if (current >= Completed)
            {
                return false;
            }

            if (Move(current, Completed))
            {
                return true;
            }
        }
    }

    /// <summary>Any non-terminal state → Faulted with <paramref name="error"/> (the first fault wins).</summary>
    public bool TryFault(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        while (true)
        {
            int current = State;
            if (current >= Completed)
            {
                return false;
            }

            Interlocked.CompareExchange(ref _error, error, null);
            if (Move(current, Faulted))
            {
                return true;
            }
        }
    }

    /// <summary>Settles <see cref="Completion"/> from the terminal state, once subscribers and readers have been told.</summary>
    public void Settle()
    {
        AssertInvariants();
        switch (State)
        {
            case Faulted:
                _completion.TrySetException(Volatile.Read(ref _error)!);
                break;
            case Completed:
                _completion.TrySetResult();
                break;
            default:
                throw new InvalidOperationException("The feed has not ended.");
        }
    }

    /// <summary>The <see cref="FeedState"/> to report: the terminal states override whatever the loops last said.</summary>
    public FeedState Derive(FeedState reported) => State switch
    {
        Faulted => FeedState.Faulted,
        Completed => FeedState.Stopped,
        _ => reported,
    };

    private bool Move(int from, int to)
    {
        bool moved = Interlocked.CompareExchange(ref _state, to, from) == from;
        AssertInvariants();
        return moved;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        int state = Volatile.Read(ref _state);
        Debug.Assert(state is >= Created and <= Faulted, "unknown state");
        Debug.Assert(state != Faulted || Volatile.Read(ref _error) is not null, "faulted without an error");
        Debug.Assert(!_completion.Task.IsCompleted || state >= Completed, "Completion settled before a terminal state");
        Debug.Assert(!_completion.Task.IsFaulted || state == Faulted, "Completion faulted but the state is not Faulted");
    }
}
