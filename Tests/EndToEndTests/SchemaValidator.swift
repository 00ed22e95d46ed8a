import Foundation
import LedgerCore

/// A validator for the subset of JSON Schema draft 2020-12 that the schemas in `schemas/` use:
/// `type`, `enum`, `required`, `properties`, `additionalProperties`, `items`, `minimum`,
/// `maximum`, `pattern` and `$ref` to `#/$defs/…`. Any other keyword is reported as an error,
/// so a schema cannot silently rely on a keyword this validator ignores.
struct SchemaValidator {
    /// Keywords that only annotate a schema.
    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$defs"]
    static let keywords: Set<String> = [
        "type", "enum", "required", "properties", "additionalProperties", "items", "minimum", "maximum", "pattern",
        "$ref",
    ]

    let root: JSONValue

    /// Loads a schema file from `schemas/`.
    init(schema name: String) throws {
        let url = Harness.packageRoot.appendingPathComponent("schemas").appendingPathComponent(name)
        root = try JSONParser.parse(Array(try Data(contentsOf: url)))
    }

    /// Creates a validator for an in-memory schema.
    init(root: JSONValue) {
        self.root = root
    }

    /// Every violation of the schema by `instance`, each naming its JSON pointer; empty when valid.
    func validate(_ instance: JSONValue) -> [String] {
        var errors: [String] = []
        check(instance, against: root, at: "", errors: &errors)
        return errors
    }

    private func check(_ instance: JSONValue, against schema: JSONValue, at path: String, errors: inout [String]) {
        guard let object = schema.objectValue else {
            errors.append("\(path): schema is not an object")
            return
        }
        for key in object.keys where !Self.keywords.contains(key) && !Self.annotations.contains(key) {
            errors.append("\(path): unsupported keyword \(key)")
        }
        if let reference = object["$ref"]?.stringValue {
            let prefix = "#/$defs/"
            guard reference.hasPrefix(prefix), let target = root["$defs"]?[String(reference.dropFirst(prefix.count))]
            else {
                errors.append("\(path): unresolvable $ref \(reference)")
                return
            }
            check(instance, against: target, at: path, errors: &errors)
        }
        if let type = object["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            guard allowed.contains(where: { Self.matches(instance, type: $0) }) else {
                errors.append(
                    "\(path): expected \(allowed.joined(separator: " or ")), found \(Self.typeName(instance))")
                return
            }
        }
        if let options = object["enum"]?.arrayValue, !options.contains(instance) {
            errors.append("\(path): value is not one of the enumerated values")
        }
        if case .number(let text) = instance, let value = Double(text) {
            if let minimum = object["minimum"]?.doubleValue, value < minimum {
                errors.append("\(path): \(text) is below the minimum \(minimum)")
            }
            if let maximum = object["maximum"]?.doubleValue, value > maximum {
                errors.append("\(path): \(text) is above the maximum \(maximum)")
            }
        }
        if let pattern = object["pattern"]?.stringValue, let text = instance.stringValue {
            let expression = try? NSRegularExpression(pattern: pattern)
            let range = NSRange(text.startIndex..., in: text)
            if expression?.firstMatch(in: text, range: range) == nil {
                errors.append("\(path): string does not match \(pattern)")
            }
        }
        if let members = instance.objectValue {
            checkObject(members, against: object, at: path, errors: &errors)
        }
        if let elements = instance.arrayValue, let items = object["items"] {
            for (index, element) in elements.enumerated() {
                check(element, against: items, at: "\(path)/\(index)", errors: &errors)
            }
        }
    }

    private func checkObject(_ members: JSONObject, against schema: JSONObject, at path: String, errors: inout [String])
    {
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
            errors.append("\(path): missing required member \(name)")
        }
        let properties = schema["properties"]?.objectValue
        for member in members.members {
            let memberPath = "\(path)/\(member.key)"
            if let property = properties?[member.key] {
                check(member.value, against: property, at: memberPath, errors: &errors)
                continue
            }
            switch schema["additionalProperties"] {
            case .bool(false)?:
                errors.append("\(memberPath): member is not allowed")
            case .object?:
                if let additional = schema["additionalProperties"] {
                    check(member.value, against: additional, at: memberPath, errors: &errors)
                }
            default:
                break
            }
        }
    }

    private static func matches(_ instance: JSONValue, type: String) -> Bool {
        switch (type, instance) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
            ("number", .number):
            return true
        case ("integer", .number(let text)):
            return !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        default:
            return false
        }
    }

    private static func typeName(_ instance: JSONValue) -> String {
        switch instance {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
