using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EventStream.Generators.Json;

/// <summary>A malformed plan file: what is wrong and at which character.</summary>
internal sealed class JsonParseException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;
}

/// <summary>
/// A small strict JSON (RFC 8259) parser that keeps positions. The generator targets netstandard2.0 and cannot
/// depend on System.Text.Json being loadable inside the compiler, and its diagnostics need line and column.
/// </summary>
internal sealed class JsonParser
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private readonly int _offset; // added to every position, so that the nodes of several files never share one
    private int _pos;

    private JsonParser(string text, int offset)
    {
        _text = text;
        _offset = offset;
    }

    /// <summary>Parses <paramref name="text"/>; node positions are <paramref name="offset"/> plus the character index (errors give the index alone).</summary>
    public static JsonNode Parse(string text, int offset = 0)
    {
        var parser = new JsonParser(text, offset);
        parser.SkipWhitespace();
        if (parser._pos < text.Length && text[parser._pos] == '\uFEFF')
        {
            parser._pos++;
            parser.SkipWhitespace();
        }

        JsonNode root = parser.ParseValue(0);
        parser.SkipWhitespace();
        if (parser._pos < text.Length)
        {
            throw new JsonParseException("unexpected text after the JSON value", parser._pos);
        }

        return root;
    }

    private JsonNode ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonParseException($"nesting deeper than {MaxDepth}", _pos);
        }

        if (_pos >= _text.Length)
        {
            throw new JsonParseException("unexpected end of file, expected a value", _pos);
        }

        char c = _text[_pos];
        switch (c)
        {
            case '{':
                return ParseObject(depth);
            case '[':
                return ParseArray(depth);
            case '"':
                int start = _pos;
                return new JsonNode(JsonKind.String, _offset + start) { Text = ParseString(), End = _offset + _pos };
            case 't':
                return Literal("true", JsonKind.True);
            case 'f':
                return Literal("false", JsonKind.False);
            case 'n':
                return Literal("null", JsonKind.Null);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ParseNumber();
                }

                throw new JsonParseException($"unexpected character '{c}', expected a value", _pos);
        }
    }

    private JsonNode ParseObject(int depth)
    {
        var node = new JsonNode(JsonKind.Object, _offset + _pos) { Members = [] };
        _pos++;
        SkipWhitespace();
        if (Peek() == '}')
        {
            _pos++;
            node.End = _offset + _pos;
            return node;
        }

        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw new JsonParseException("expected a property name in double quotes", _pos);
            }

            int nameStart = _pos;
            string name = ParseString();
            int nameEnd = _pos;
            SkipWhitespace();
            Expect(':');
            SkipWhitespace();
            JsonNode value = ParseValue(depth + 1);
            node.Members!.Add(new JsonMember(name, _offset + nameStart, _offset + nameEnd, value));
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == '}')
            {
                node.End = _offset + _pos;
                return node;
            }

            if (c != ',')
            {
                throw new JsonParseException(c == '\0' ? "unexpected end of file inside an object" : $"expected ',' or '}}', found '{c}'", _pos - 1);
            }
        }
    }

    private JsonNode ParseArray(int depth)
    {
        var node = new JsonNode(JsonKind.Array, _offset + _pos) { Items = [] };
        _pos++;
        SkipWhitespace();
        if (Peek() == ']')
        {
            _pos++;
            node.End = _offset + _pos;
            return node;
        }

        while (true)
        {
            SkipWhitespace();
            node.Items!.Add(ParseValue(depth + 1));
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == ']')
            {
                node.End = _offset + _pos;
                return node;
            }

            if (c != ',')
            {
                throw new JsonParseException(c == '\0' ? "unexpected end of file inside an array" : $"expected ',' or ']', found '{c}'", _pos - 1);
            }
        }
    }

    private string ParseString()
    {
        int start = _pos;
        _pos++; // opening quote
        StringBuilder? builder = null;
        int runStart = _pos;
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw new JsonParseException("unterminated string", start);
            }

            char c = _text[_pos];
            if (c == '"')
            {
                string result = builder is null
                    ? _text.Substring(runStart, _pos - runStart)
                    : builder.Append(_text, runStart, _pos - runStart).ToString();
                _pos++;
                return result;
            }

            if (c < ' ')
            {
                throw new JsonParseException("control character in a string", _pos);
            }

            if (c != '\\')
            {
                _pos++;
                continue;
            }

            builder ??= new StringBuilder();
            builder.Append(_text, runStart, _pos - runStart);
            _pos++;
            char escape = Peek();
            switch (escape)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (_pos + 4 >= _text.Length || !int.TryParse(_text.Substring(_pos + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw new JsonParseException("invalid \\u escape", _pos - 1);
                    }

                    builder.Append((char)code);
                    _pos += 4;
                    break;
                default:
                    throw new JsonParseException($"invalid escape '\\{escape}'", _pos - 1);
            }

            _pos++;
            runStart = _pos;
        }
    }

    private JsonNode ParseNumber()
    {
        int start = _pos;
        if (Peek() == '-')
        {
            _pos++;
        }

        if (Peek() == '0')
        {
            _pos++;
        }
        else if (!Digits())
        {
            throw new JsonParseException("invalid number", start);
        }

        if (Peek() == '.')
        {
            _pos++;
            if (!Digits())
            {
                throw new JsonParseException("invalid number: no digits after '.'", start);
            }
        }

        if (Peek() is 'e' or 'E')
        {
            _pos++;
            if (Peek() is '+' or '-')
            {
                _pos++;
            }

            if (!Digits())
            {
                throw new JsonParseException("invalid number: no digits in the exponent", start);
            }
        }

        return new JsonNode(JsonKind.Number, _offset + start) { Text = _text.Substring(start, _pos - start), End = _offset + _pos };
    }

    private bool Digits()
    {
        int start = _pos;
        while (Peek() is >= '0' and <= '9')
        {
            _pos++;
        }

        return _pos > start;
    }

    private JsonNode Literal(string word, JsonKind kind)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
        {
            throw new JsonParseException($"unexpected character '{_text[_pos]}', expected a value", _pos);
        }

        var node = new JsonNode(kind, _offset + _pos);
        _pos += word.Length;
        node.End = _offset + _pos;
        return node;
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw new JsonParseException(_pos >= _text.Length ? $"unexpected end of file, expected '{c}'" : $"expected '{c}', found '{_text[_pos]}'", _pos);
        }

        _pos++;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
        {
            _pos++;
        }
    }
}
