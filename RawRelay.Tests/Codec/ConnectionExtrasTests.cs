using System.Reflection;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>
/// A connection drops its extras once they hold nothing (ConnectionExtras.IsEmpty): every field must count,
/// or state set in it would be lost with the object.
/// </summary>
[TestFixture]
public sealed class ConnectionExtrasTests
{
    [Test]
    public void A_fresh_extras_object_is_empty() => new ConnectionExtras().IsEmpty.Should().BeTrue();

    [TestCaseSource(nameof(Fields))]
    public void Any_field_set_makes_it_not_empty(FieldInfo field)
    {
        var extras = new ConnectionExtras();
        field.SetValue(extras, NonDefault(field.FieldType));
        extras.IsEmpty.Should().BeFalse($"{field.Name} holds state the connection would lose");
    }

    private static IEnumerable<FieldInfo> Fields() =>
        typeof(ConnectionExtras).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);

    private static object NonDefault(Type type) => type switch
    {
        _ when type == typeof(long) => 1L,
        _ when type == typeof(int) => 1,
        _ when type == typeof(double) => 0.5,
        _ when type == typeof(byte[]) => new byte[1],
        _ when type == typeof(string[]) => new[] { "c" },
        _ when type == typeof(TaskCompletionSource) => new TaskCompletionSource(),
        _ when type.IsEnum => Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1)!,
        _ when type.IsArray => Array.CreateInstance(type.GetElementType()!, 1),
        _ => throw new NotSupportedException($"a field of type {type}: teach this test its non-default value"),
    };
}
