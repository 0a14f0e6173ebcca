// A small AML encoder (ACPI 6.4, chapter 20 "ACPI Machine Language
// Specification"). Each function returns one encoded term; terms compose
// by nesting, so a table body reads like the ASL it stands for.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace xlnv::acpi {

using Bytes = std::vector<uint8_t>;

// Concatenate terms (a TermList).
Bytes amlConcat(std::initializer_list<Bytes> terms);
void amlAppend(Bytes &to, const Bytes &term);

// PkgLength (20.2.4) for a body of `body_len` bytes: the encoded value
// counts its own 1-4 bytes. Throws xlnv::Error beyond 2^28 - 1.
Bytes amlPkgLength(size_t body_len);

// NameString (20.2.2): "\_SB.NVDR", "^FOO", "NV00", "_HID". Segments
// shorter than 4 characters are padded with '_'. Throws on a bad name.
Bytes amlNameString(std::string_view name);

// ComputationalData integers (20.2.3): ZeroOp, OneOp, OnesOp, then the
// smallest of BytePrefix / WordPrefix / DWordPrefix / QWordPrefix.
Bytes amlInteger(uint64_t value);
// String (20.2.3): StringPrefix, ASCII, NullChar. Throws on non-ASCII/NUL.
Bytes amlString(std::string_view text);

// Name(NAME, data)  (20.2.5.1 NameOp)
Bytes amlName(std::string_view name, const Bytes &data);
// Device(NAME) { body }  (20.2.5.2 ExtOpPrefix DeviceOp)
Bytes amlDevice(std::string_view name, const Bytes &body);
// Scope(NAME) { body }  (20.2.5.1 ScopeOp)
Bytes amlScope(std::string_view name, const Bytes &body);
// Method(NAME, argc, Serialized|NotSerialized) { body }  (20.2.5.2 MethodOp)
Bytes amlMethod(std::string_view name, unsigned argc, bool serialized, const Bytes &body);
// Return(value)  (20.2.5.3 ReturnOp)
Bytes amlReturn(const Bytes &value);
// Buffer(len) { bytes }  (20.2.5.4 DefBuffer, BufferSize = byte count)
Bytes amlBuffer(const Bytes &bytes);
// Package(n) { elements }  (20.2.5.4 DefPackage, at most 255 elements)
Bytes amlPackage(std::initializer_list<Bytes> elements);
Bytes amlPackage(const std::vector<Bytes> &elements);

} // namespace xlnv::acpi
