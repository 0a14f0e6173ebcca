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

// --- Statements and expressions the _FIT/GED methods need ---
// LocalN / ArgN  (20.2.6.2 / 20.2.6.1)
Bytes amlLocal(unsigned n);
Bytes amlArg(unsigned n);
// OperationRegion(NAME, space, offset, length)  (20.2.5.2 OpRegionOp)
constexpr uint8_t kRegionSystemMemory = 0x00;
Bytes amlOperationRegion(std::string_view name, uint8_t space, uint64_t offset, uint64_t length);
// Field(REGION, flags) { NAME, bits ... }  (20.2.5.2 FieldOp); flags:
// AccessType in bits 0-3 (3 = DWordAcc), LockRule bit 4, UpdateRule 5-6.
constexpr uint8_t kFieldDWordAccNoLockPreserve = 0x03;
struct AmlFieldUnit {
    std::string_view name;
    uint32_t bits;
};
Bytes amlField(std::string_view region, uint8_t flags, std::initializer_list<AmlFieldUnit> units);
// While(pred) { body } / If(pred) { body }  (20.2.5.3)
Bytes amlWhile(const Bytes &predicate, const Bytes &body);
Bytes amlIf(const Bytes &predicate, const Bytes &body);
// Store(src, dst), CopyObject(src, dst), Increment(x)
Bytes amlStore(const Bytes &source, const Bytes &target);
Bytes amlCopyObject(const Bytes &source, const Bytes &target);
Bytes amlIncrement(const Bytes &target);
// And(a, b) without target; LAnd/LOr/LNot/LEqual/LLess/LGreater
Bytes amlAnd(const Bytes &a, const Bytes &b);
Bytes amlLAnd(const Bytes &a, const Bytes &b);
Bytes amlLOr(const Bytes &a, const Bytes &b);
Bytes amlLNot(const Bytes &a);
Bytes amlLEqual(const Bytes &a, const Bytes &b);
Bytes amlLLess(const Bytes &a, const Bytes &b);
Bytes amlLGreater(const Bytes &a, const Bytes &b);
// SizeOf(x), Mid(src, index, length) without target
Bytes amlSizeOf(const Bytes &object);
Bytes amlMid(const Bytes &source, const Bytes &index, const Bytes &length);
// Notify(object, value)  (20.2.5.3 NotifyOp)
Bytes amlNotify(const Bytes &object, const Bytes &value);
// ResourceTemplate with one Extended Interrupt descriptor (ACPI 6.4,
// 6.4.3.6): Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) {gsi},
// then the End Tag (6.4.2.9), as a Buffer.
Bytes amlInterruptResource(uint32_t gsi);

} // namespace xlnv::acpi
