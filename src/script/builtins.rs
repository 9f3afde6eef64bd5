//! One-line descriptions of Rhai's built-in functions (its string, array, map, blob, math and
//! time packages), for `qops docs`. Rhai's own doc comments run to pages with examples; these
//! say in one line what each name does, for every overload. A unit test checks that every
//! built-in name the engine registers is described here, so the table cannot fall behind Rhai.
//! Operators (`+`, `==`, `in`…) are the language, not listed.

use super::docs::{native_functions, FnDoc};
use rhai::Engine;
use std::collections::BTreeMap;

/// `(name, description)`, alphabetical. A property (`s.len`) shares its function's line.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("E", "Euler's number e (2.718…)."),
    ("PI", "The number π (3.14159…)."),
    ("abs", "The absolute value of a number."),
    ("acos", "Arc-cosine of a number, in radians."),
    ("acosh", "Inverse hyperbolic cosine."),
    ("all", "Whether a function returns true for every item of an array."),
    ("append", "Adds the items of another array (or blob, or the text of a value to a string) at the end."),
    ("as_string", "A blob's bytes as a UTF-8 string (invalid sequences replaced)."),
    ("asin", "Arc-sine of a number, in radians."),
    ("asinh", "Inverse hyperbolic sine."),
    ("atan", "Arc-tangent of a number (or of y/x with two), in radians."),
    ("atanh", "Inverse hyperbolic tangent."),
    ("bits", "Iterates over the bits of an integer (optionally from a start, for a length)."),
    ("blob", "A new blob (byte array), optionally of a length filled with a byte value."),
    ("bytes", "The number of bytes of a string in UTF-8."),
    ("ceiling", "The smallest whole number not below a float."),
    ("chars", "Iterates over the characters of a string (optionally from a start, for a length)."),
    ("chop", "Keeps only the last N items of an array or blob."),
    ("clear", "Empties a string, array, map or blob."),
    ("contains", "Whether a string holds a substring or character, an array an item, a map a key, a range a number."),
    ("cos", "Cosine of an angle in radians."),
    ("cosh", "Hyperbolic cosine."),
    ("crop", "Keeps only part of a string (from a start, for a length, or a range)."),
    ("dedup", "Removes consecutive duplicate items of an array (optionally by a comparison function)."),
    ("drain", "Removes the items of an array, blob or map that a function selects (or in a range) and returns them."),
    ("elapsed", "Seconds since a timestamp was taken."),
    ("end", "The end of a range."),
    ("ends_with", "Whether a string ends with a suffix."),
    ("exit", "Ends the script at once, optionally with a value."),
    ("exp", "e raised to a power."),
    ("extract", "A copy of part of an array or blob (from a start, for a length, or a range)."),
    ("fill_with", "Adds the entries of another map whose keys are missing (existing keys are kept)."),
    ("filter", "A new array of the items for which a function returns true."),
    ("find", "The first item of an array for which a function returns true, or ()."),
    ("find_map", "The first non-() value a function returns for the items of an array."),
    ("floor", "The largest whole number not above a float."),
    ("for_each", "Calls a function for every item of an array (`this` is the item)."),
    ("fraction", "The fractional part of a float."),
    ("get_bit", "Whether one bit of an integer is set."),
    ("get_bits", "A range of bits of an integer, as an integer."),
    ("get_fn_metadata_list", "Metadata (name, parameters, comments) of the script's functions."),
    ("hypot", "The hypotenuse: the square root of x² + y²."),
    ("index_of", "The position of a substring, character or item (or of the first item a function accepts), or -1."),
    ("insert", "Inserts an item into an array or a byte into a blob at a position."),
    ("int", "The whole-number part of a float, as a float."),
    ("is_anonymous", "Whether a function pointer is an anonymous closure."),
    ("is_empty", "Whether a string, array, map, blob or range is empty."),
    ("is_even", "Whether an integer is even."),
    ("is_exclusive", "Whether a range excludes its end (`a..b`)."),
    ("is_finite", "Whether a float is neither infinite nor NaN."),
    ("is_inclusive", "Whether a range includes its end (`a..=b`)."),
    ("is_infinite", "Whether a float is infinite."),
    ("is_nan", "Whether a float is NaN (not a number)."),
    ("is_odd", "Whether an integer is odd."),
    ("is_zero", "Whether a number is zero."),
    ("keys", "The keys of a map, as an array."),
    ("len", "The number of characters of a string, items of an array, entries of a map or bytes of a blob."),
    ("ln", "Natural logarithm."),
    ("log", "Logarithm, base 10 or of the given base."),
    ("make_lower", "Turns a string or character to lower case in place."),
    ("make_upper", "Turns a string or character to upper case in place."),
    ("map", "A new array of what a function returns for each item."),
    ("max", "The larger of two numbers."),
    ("min", "The smaller of two numbers."),
    ("mixin", "Adds every entry of another map, replacing existing keys."),
    ("name", "The name of the function a function pointer points to."),
    ("order", "A sorted copy of an array (optionally by a comparison function); the array is unchanged."),
    ("order_by", "A copy of an array sorted by a comparison function."),
    ("order_desc", "A copy of an array sorted in descending order."),
    ("pad", "Lengthens a string, array or blob to a length with a filler value."),
    ("parse_be_float", "A float from bytes of a blob, big-endian."),
    ("parse_be_int", "An integer from bytes of a blob, big-endian."),
    ("parse_float", "A float from a string; an error when it is not one."),
    ("parse_int", "An integer from a string (optionally in a radix); an error when it is not one."),
    ("parse_le_float", "A float from bytes of a blob, little-endian."),
    ("parse_le_int", "An integer from bytes of a blob, little-endian."),
    ("pop", "Removes and returns the last item of an array, byte of a blob or character of a string."),
    ("push", "Adds an item at the end of an array (or a byte to a blob)."),
    ("range", "A range of numbers from a start to an end (optionally with a step), for `for` loops."),
    ("reduce", "Folds an array into one value with a function (optionally from an initial value)."),
    ("reduce_rev", "Folds an array into one value with a function, last item first."),
    ("remove", "Removes and returns an item by position (array, blob) or key (map), or removes a substring or character from a string."),
    ("replace", "Replaces every occurrence of a substring or character in a string, in place."),
    ("retain", "Keeps only the items of an array, blob or map that a function selects (or in a range); returns the rest."),
    ("reverse", "Reverses an array or blob in place."),
    ("round", "Rounds a float to the nearest whole number."),
    ("set", "Sets the item of an array or blob, or the character of a string, at a position."),
    ("set_bit", "Sets or clears one bit of an integer."),
    ("set_bits", "Sets a range of bits of an integer."),
    ("set_tag", "Sets the tag (an integer kept beside any value)."),
    ("shift", "Removes and returns the first item of an array, byte of a blob or character of a string."),
    ("sign", "-1, 0 or 1 by the sign of a number."),
    ("sin", "Sine of an angle in radians."),
    ("sinh", "Hyperbolic sine."),
    ("some", "Whether a function returns true for at least one item of an array."),
    ("sort", "Sorts an array in place (optionally by a comparison function)."),
    ("sort_by", "Sorts an array in place by a comparison function."),
    ("sort_desc", "Sorts an array in place in descending order."),
    ("splice", "Replaces part of an array or blob with the items of another."),
    ("split", "Splits a string at a separator (or whitespace), or an array or blob at a position, into parts."),
    ("split_rev", "Splits a string at a separator, from the end."),
    ("sqrt", "Square root."),
    ("start", "The start of a range."),
    ("starts_with", "Whether a string starts with a prefix."),
    ("sub_string", "Part of a string: from a start, for a length, or a range."),
    ("tag", "The tag of a value (an integer kept beside it, 0 unless set)."),
    ("take", "Moves a value out of a variable, leaving () behind."),
    ("tan", "Tangent of an angle in radians."),
    ("tanh", "Hyperbolic tangent."),
    ("timestamp", "The current instant, for measuring elapsed time."),
    ("to_array", "The bytes of a blob (or bits of an integer) as an array."),
    ("to_binary", "An integer as binary digits."),
    ("to_blob", "The bytes of a string as a blob."),
    ("to_chars", "The characters of a string as an array."),
    ("to_degrees", "Radians to degrees."),
    ("to_float", "A number as a float."),
    ("to_hex", "An integer as hexadecimal digits."),
    ("to_int", "A number (or character) as an integer; floats are truncated."),
    ("to_lower", "A lower-case copy of a string or character."),
    ("to_octal", "An integer as octal digits."),
    ("to_radians", "Degrees to radians."),
    ("to_upper", "An upper-case copy of a string or character."),
    ("trim", "Removes whitespace at both ends of a string, in place."),
    ("truncate", "Shortens a string, array or blob to a length."),
    ("values", "The values of a map, as an array."),
    ("write_ascii", "Writes a string's ASCII characters into part of a blob."),
    ("write_be", "Writes a number into part of a blob, big-endian."),
    ("write_le", "Writes a number into part of a blob, little-endian."),
    ("write_utf8", "Writes a string's UTF-8 bytes into part of a blob."),
    ("zip", "Pairs the items of two arrays through a function into a new array."),
];

/// The one-line description of the built-in `name` (a function, or a property like `len`).
pub fn description(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("get$").unwrap_or(name);
    DESCRIPTIONS
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| DESCRIPTIONS[i].1)
}

/// Whether a function name is an operator (`+`, `==`), not a named function.
fn is_operator(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// The overloads of Rhai's built-in functions the engine registers (those qops does not also
/// register itself: qops' own document themselves), operators and setters left out, keyed by
/// name (properties by their name, `len` for `get$len`).
pub fn registered(engine: &Engine) -> BTreeMap<String, Vec<FnDoc>> {
    let ours: std::collections::HashSet<String> = native_functions(engine, false)
        .into_iter()
        .map(|f| f.name)
        .collect();
    let mut out: BTreeMap<String, Vec<FnDoc>> = BTreeMap::new();
    for f in native_functions(engine, true) {
        if f.namespace.is_some() || ours.contains(&f.name) {
            continue;
        }
        let name = f.property().unwrap_or(&f.name).to_string();
        if is_operator(&name) || name.contains('$') {
            continue;
        }
        out.entry(name).or_default().push(f);
    }
    out
}

/// `qops docs`'s section of built-ins: one line per name.
pub fn text(engine: &Engine) -> String {
    let names = registered(engine);
    let width = names.keys().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut out = String::from(
        "Rhai built-ins (qops docs NAME shows the signatures; operators and keywords such as \
         type_of, Fn, call are in Rhai's book)\n\n",
    );
    for name in names.keys() {
        let line = description(name).unwrap_or("");
        out.push_str(&format!("  {name:<width$}  {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::script::engine;
    use crate::session::Session;
    use std::sync::Arc;

    fn engine() -> Engine {
        let session = Arc::new(Session::new(Env::default()));
        engine::build(&session, &engine::Limits::default())
    }

    #[test]
    fn every_registered_builtin_has_a_description() {
        let names = registered(&engine());
        assert!(names.len() > 100, "{} built-ins", names.len());
        for want in [
            "len",
            "push",
            "contains",
            "split",
            "keys",
            "values",
            "to_upper",
            "parse_int",
        ] {
            assert!(names.contains_key(want), "{want} not registered");
        }
        let missing: Vec<&String> = names.keys().filter(|n| description(n).is_none()).collect();
        assert!(
            missing.is_empty(),
            "built-ins without a description: {missing:?}"
        );
    }

    #[test]
    fn the_table_is_sorted_and_describes_only_registered_names() {
        assert!(DESCRIPTIONS.windows(2).all(|w| w[0].0 < w[1].0));
        let names = registered(&engine());
        let stale: Vec<&str> = DESCRIPTIONS
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !names.contains_key(*n))
            .collect();
        assert!(stale.is_empty(), "described but not registered: {stale:?}");
        assert_eq!(description("get$len"), description("len"));
    }
}
