namespace EventStream.Typed;

/// <summary>How a value broke its tracking plan.</summary>
public enum PlanViolationKind
{
    /// <summary>The value has another JSON type than planned (including <c>null</c> where the plan does not allow it).</summary>
    WrongType,

    /// <summary>A property the plan lists as required is absent.</summary>
    MissingRequired,

    /// <summary>A value is not one of the plan's enum values.</summary>
    UnknownEnumValue,

    /// <summary>A string is not in the planned format (<c>date-time</c> or <c>uuid</c>).</summary>
    InvalidFormat,

    /// <summary>A number does not fit the planned type (a fraction for an integer, or out of range).</summary>
    OutOfRange,
}
