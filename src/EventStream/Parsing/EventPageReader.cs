using System.Text.Json;
using EventStream.Parsing.Internal;

namespace EventStream.Parsing;

/// <summary>
/// Reads an Events API page (<c>{"data":[event, …], …}</c>) one event at a time. <see cref="MoveNext"/> and
/// <see cref="Header"/> allocate nothing, so an event can be dropped for free; <see cref="Materialize()"/> builds
/// the <see cref="IntileryEvent"/> for one worth keeping. <c>data</c> may sit anywhere among other members,
/// unknown members are skipped, and any malformed or truncated input ends in <see cref="EventPageFormatException"/>.
/// </summary>
/// <remarks>
/// Over <see cref="ReadOnlyMemory{T}"/> the events it materializes are views into that memory (no bytes are copied), so
/// the memory must not change while any of them is in use (as for <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>);
/// over a span the events' JSON is copied into arrays shared by the page's events (at most 64 KB each). An event keeps
/// the memory it is a view into alive: see <see cref="IntileryEvent.Detach"/>.
/// </remarks>
/// <example>
/// <code>
/// var reader = new EventPageReader(body);
/// while (reader.MoveNext())
/// {
///     if (reader.Header.EventAction.SequenceEqual("email_opened"u8)) events.Add(reader.Materialize());
/// }
/// </code>
/// </example>
public ref struct EventPageReader
{
    private readonly ReadOnlySpan<byte> _page;
    private readonly ReadOnlyMemory<byte> _memory; // the page again when events may slice it; empty: events copy into _bytes
    private EventBytes? _bytes; // made on the first Materialize, so a header-only read allocates nothing
    private readonly Utf8StringCache _cache;
    private readonly List<UnreadableEventInfo>? _unreadable;
    private Utf8JsonReader _reader;
    private EventFields _fields;
    private byte[]? _scratch;
    private State _state;
    private int _index;
    private bool _sawData;

    /// <summary>Creates a reader over a whole response body.</summary>
    /// <param name="page">The UTF-8 JSON body.</param>
    /// <remarks>Repeated values are shared through a small per-thread cache, so reading a page's headers allocates nothing.</remarks>
    public EventPageReader(ReadOnlySpan<byte> page) : this(page, default, null, Utf8StringCache.ForCurrentThread) { }

    /// <summary>Creates a reader over a whole response body whose events are views into it (nothing is copied).</summary>
    /// <param name="page">The UTF-8 JSON body; it must not change while an event read from it is in use.</param>
    public EventPageReader(ReadOnlyMemory<byte> page) : this(page.Span, page, null, Utf8StringCache.ForCurrentThread) { }

    /// <param name="page">The UTF-8 JSON body.</param>
    /// <param name="memory">The same body, when events may keep slices of it; empty to copy events' bytes into <paramref name="bytes"/>.</param>
    /// <param name="bytes">Where events copy their bytes when <paramref name="memory"/> is empty (reset here: a page's events share no chunk with another page's).</param>
    /// <param name="cache">Shares repeated strings.</param>
    /// <param name="unreadable">
    /// When given, an event that is well-formed JSON but breaks the envelope's contract (see <see cref="EventPageFormatException"/>)
    /// is recorded here and skipped instead of ending the page; <see cref="Count"/> still counts it (page offsets stay right).
    /// </param>
    internal EventPageReader(ReadOnlySpan<byte> page, ReadOnlyMemory<byte> memory, EventBytes? bytes, Utf8StringCache cache, List<UnreadableEventInfo>? unreadable = null)
    {
        _page = page;
        _memory = memory;
        _bytes = bytes;
        _bytes?.Reset();
        _cache = cache;
        _unreadable = unreadable;
        _reader = new Utf8JsonReader(page, JsonLimits.Reader);
        _fields = default;
        _scratch = null;
        _state = State.Start;
        _index = -1;
        _sawData = false;
        Total = null;
    }

    private enum State { Start, InData, AfterData, Done }

    /// <summary>The page's <c>total</c> (hits for the query), when the API sent it. Known once <see cref="MoveNext"/> has returned <see langword="false"/>, or earlier if it preceded <c>data</c>.</summary>
    public long? Total { get; private set; }

    /// <summary>How many events have been read so far.</summary>
    public readonly int Count => _index + 1;

    /// <summary>The header of the current event.</summary>
    public readonly EventHeader Header
    {
        get
        {
            EnsureOnEvent();
            return new EventHeader(
                _fields.EventId.Resolve(_page, _scratch),
                _fields.EventAction.Resolve(_page, _scratch),
                _fields.EventTime,
                _fields.ReceivedTime,
                _page[_fields.EventStart.._fields.EventEnd]);
        }
    }

    /// <summary>The current event's id as its 128-bit key (<see cref="EventKey"/>), hashed once: <see cref="Materialize()"/> reuses it.</summary>
    internal UInt128 IdKey()
    {
        EnsureOnEvent();
        if (!_fields.HasKey)
        {
            _fields.Key = EventKey.Of(_fields.EventId.Resolve(_page, _scratch));
            _fields.HasKey = true;
        }

        return _fields.Key;
    }

    /// <summary>Moves to the next event.</summary>
    /// <returns><see langword="true"/> when on an event; <see langword="false"/> once the page has been read to its end.</returns>
    /// <exception cref="EventPageFormatException">The page is malformed or truncated.</exception>
    public bool MoveNext()
    {
        try
        {
            return MoveNextCore();
        }
        catch (JsonException ex)
        {
            _state = State.Done;
            ThrowHelper.Format("the body is not valid JSON: " + ex.Message, _reader.BytesConsumed, ex);
            return false;
        }
        catch (EventPageFormatException)
        {
            _state = State.Done;
            throw;
        }
    }

    /// <summary>Builds the current event: its envelope strings (repeated values shared) and its JSON (a view into the page when read from memory, else a copy in a chunk shared with the page's other events).</summary>
    /// <returns>The event.</returns>
    public IntileryEvent Materialize() => Materialize(null);

    /// <summary>Builds the current event, typed by <paramref name="catalog"/> when it plans the event's action.</summary>
    /// <param name="catalog">The catalog that types planned events, or <see langword="null"/> to keep the event untyped.</param>
    /// <returns>The event: typed when planned, otherwise untyped.</returns>
    public IntileryEvent Materialize(Typed.EventCatalog? catalog)
    {
        EnsureOnEvent();
        ReadOnlyMemory<byte> json = _memory.IsEmpty
            ? (_bytes ??= new EventBytes()).Copy(_page[_fields.EventStart.._fields.EventEnd], _page.Length - _fields.EventStart)
            : _memory[_fields.EventStart.._fields.EventEnd];
        return catalog is null ? new IntileryEvent(_fields, _page, json, _scratch, _cache) : catalog.Materialize(_fields, _page, json, _scratch, _cache);
    }

    private bool MoveNextCore()
    {
        switch (_state)
        {
            case State.Start:
                if (!EventScanner.Read(ref _reader) || _reader.TokenType != JsonTokenType.StartObject)
                {
                    ThrowHelper.Format("the body is not a JSON object", _reader.TokenStartIndex);
                }

                if (!ReadMembersUntilData())
                {
                    return false;
                }

                _state = State.InData;
                goto case State.InData;
            case State.InData:
                while (true)
                {
                    if (!EventScanner.Read(ref _reader))
                    {
                        ThrowHelper.Format("the body ended inside data", _reader.BytesConsumed);
                    }

                    if (_reader.TokenType == JsonTokenType.EndArray)
                    {
                        break;
                    }

                    _index++;
                    if (_unreadable is null)
                    {
                        EventScanner.Scan(ref _reader, ref _fields, ref _scratch, _index);
                        return true;
                    }

                    Utf8JsonReader atEvent = _reader;
                    try
                    {
                        EventScanner.Scan(ref _reader, ref _fields, ref _scratch, _index);
                        return true;
                    }
                    catch (EventPageFormatException ex) when (ex.IsEventLevel)
                    {
                        // Well-formed JSON around a bad event: step over its value and go on with the page.
                        _reader = atEvent;
                        int start = checked((int)_reader.TokenStartIndex);
                        _reader.Skip();
                        _unreadable.Add(new UnreadableEventInfo(_index, start, checked((int)_reader.BytesConsumed) - start, ex.Message));
                    }
                }

                _state = State.AfterData;
                ReadMembersUntilData();
                return false;
            default:
                return false;
        }
    }

    // Reads root members, skipping unknown ones, until "data" (true: on its '[') or the end of the root (false).
    private bool ReadMembersUntilData()
    {
        while (EventScanner.Read(ref _reader) && _reader.TokenType == JsonTokenType.PropertyName)
        {
            if (_reader.ValueTextEquals("data"u8))
            {
                if (_sawData)
                {
                    ThrowHelper.Format("data appears twice", _reader.TokenStartIndex);
                }

                _sawData = true;
                if (!EventScanner.Read(ref _reader) || _reader.TokenType != JsonTokenType.StartArray)
                {
                    ThrowHelper.Format("data is not an array", _reader.TokenStartIndex);
                }

                return true;
            }

            bool isTotal = _reader.ValueTextEquals("total"u8);
            EventScanner.Read(ref _reader);
            if (isTotal && _reader.TokenType == JsonTokenType.Number && _reader.TryGetInt64(out long total))
            {
                Total = total;
            }

            _reader.Skip();
        }

        if (_reader.TokenType != JsonTokenType.EndObject || _reader.CurrentDepth != 0)
        {
            ThrowHelper.Format("the body ended before its closing brace", _reader.BytesConsumed);
        }

        if (EventScanner.Read(ref _reader))
        {
            ThrowHelper.Format("unexpected data after the body", _reader.TokenStartIndex);
        }

        if (!_sawData)
        {
            ThrowHelper.Format("the body has no data array", _reader.BytesConsumed);
        }

        _state = State.Done;
        return false;
    }

    private readonly void EnsureOnEvent()
    {
        if (_state != State.InData || _index < 0)
        {
            throw new InvalidOperationException("The reader is not on an event; call MoveNext first.");
        }
    }
}
