namespace EventStream.Typed;

/// <summary>How a value broke its tracking plan.</summary>
public enum PlanViolationKind
{
    /// <summary>The value has another JSON type than planned (including <c>null</c> where the plan does not allow it).</summary>
    WrongType,

    /// <summary>A property the plan lists as required is absent.</summary>
    MissingRequired,

    /// <summary>A value is not one of the plan's enum values (or a union's discriminator is none of its cases).</summary>
    UnknownEnumValue,

    /// <summary>A string is not in the planned format (<c>date-time</c>, <c>date</c>, <c>uuid</c>, <c>email</c> or <c>uri</c>).</summary>
    InvalidFormat,

    /// <summary>A number does not fit the planned type (a fraction for an integer, or out of range), or is outside the plan's <c>minimum</c>/<c>maximum</c>.</summary>
    OutOfRange,

    /// <summary>A string is shorter than the plan's <c>minLength</c> or longer than its <c>maxLength</c> (in code points).</summary>
    InvalidLength,

    /// <summary>A string does not match the plan's <c>pattern</c>.</summary>
    PatternMismatch,

    /// <summary>A member the plan does not name, in an object whose plan says <c>additionalProperties: false</c>.</summary>
    UnplannedProperty,
}
