using System.Text;

namespace EventStream.Cli;

/// <summary>
/// A writer that passes every line through a <see cref="Redactor"/> before the inner writer sees it: whatever a command
/// prints (its own lines, a library's log, an exception), no secret it knows reaches the terminal. Text is held until its
/// line ends, so a secret is never split across two writes; <see cref="Flush"/> passes on whole lines only.
/// </summary>
internal sealed class RedactingWriter(TextWriter inner, Redactor redactor) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly Lock _lock = new();

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override void Write(char value)
    {
        lock (_lock)
        {
            _line.Append(value);
            if (value == '\n')
            {
                EmitLine();
            }
        }
    }

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }

        lock (_lock)
        {
            int start = 0;
            for (int nl = value.IndexOf('\n', start); nl >= 0; nl = value.IndexOf('\n', start))
            {
                _line.Append(value, start, nl - start + 1);
                EmitLine();
                start = nl + 1;
            }

            _line.Append(value, start, value.Length - start);
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + new string(CoreNewLine));

    public override Task WriteAsync(char value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return inner.FlushAsync();
    }

    public override Task WriteLineAsync()
    {
        WriteLine("");
        return inner.FlushAsync();
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                if (_line.Length > 0)
                {
                    inner.Write(redactor.Redact(_line.ToString()));
                    _line.Clear();
                }
            }

            inner.Flush();
        }

        base.Dispose(disposing);
    }

    // The held line is complete (it ends with '\n'): redact it whole and pass it on.
    private void EmitLine()
    {
        inner.Write(redactor.Redact(_line.ToString()));
        _line.Clear();
    }
}
