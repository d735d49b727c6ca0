"""The sandbox a site's own templates (layouts/) run in: Jinja's, with bounds on the size of what a
template makes and on how much work a page's templates do, so that a pull request's layouts cannot
exhaust the memory, or hold for hours, the job that checks it."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, cast

import jinja2.compiler
import jinja2.exceptions
import jinja2.nodes
import jinja2.parser
import jinja2.sandbox
import jinja2.utils
from jinja2.runtime import Context, LoopContext
from markupsafe import Markup

# The most characters (or items) one value a site's template makes may hold, and the most one page
# (or a macro's or block's output) may: the built-in theme's largest page of a 20k-offering site is
# about 12 MB, and a template's own value is far smaller than a page.
MAX_VALUE = 10_000_000
MAX_PAGE = 200_000_000
# the most bits a whole number a template makes may have (10**30000 has ~100,000)
MAX_BITS = 100_000
# The most loop iterations and calls the templates of one page may make. What each makes is
# bounded in size above, not how many there are: two loops of range(100000), one in the other, ran
# for hours. An iteration costs 0.1-1 µs, a macro's call about 5 µs, so a page at the bound takes
# seconds (what each step works on is bounded by MAX_WORK below). The built-in theme's busiest
# page of the 5k bench site makes 5,502 (its lists are paged; bench/README.md, "A page's loop
# iterations and calls bounded").
MAX_STEPS = 2_000_000
# The most characters the templates of one page may work on: each value a call, a filter, an
# operator, a `~`, a comparison or an output makes or is given is counted, once for each time it is
# (a text passed three times counts three times its length). Each step above is bounded in size, not
# in time: a step on a text of 10 million characters takes milliseconds, and 2 million of them took
# hours. At the bound a page takes seconds; the built-in theme's busiest page of the 5k bench site
# works on far fewer (bench/README.md, "What a page's templates work on bounded").
MAX_WORK = 1_000_000_000
# filters, tests and methods that spend far more on a character than a copy does (regular
# expressions, words, sorting, a character's class): what they are given counts this many times,
# so that none works on the budget for more than seconds (bench/README.md)
_SLOW = {
    "urlize": 100,
    "wordwrap": 100,
    "title": 100,
    "striptags": 100,
    "wordcount": 100,
    "sort": 100,
    "unique": 100,
    "groupby": 100,
    "dictsort": 100,
    "translate": 50,
    "split": 10,
    "rsplit": 10,
    "capitalize": 10,
    "swapcase": 10,
    "lower": 5,  # the test `is lower` (str.islower), and the filter
    "upper": 5,
    "islower": 5,
    "isupper": 5,
    "istitle": 5,
    "isprintable": 5,
}
# the filters that turn what they are given into text (so a list of large texts is as large as its text)
_TEXT_FILTERS = frozenset(
    {"string", "pprint", "tojson", "e", "escape", "forceescape", "safe", "urlencode", "format", "xmlattr"}
)

# the methods whose result can be far larger than their object and arguments
_STRETCHING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "translate", "extend"})
# those whose numbers say how wide the result is (a count elsewhere only bounds what is done)
_WIDENING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
# the built-in filters whose numbers say how large the result is: a width, an indent, a count of
# items to fill or of slices (a number given to another, `default(10**8)`, makes nothing large)
_WIDENING_FILTERS = frozenset({"center", "indent", "batch", "slice", "tojson", "wordwrap"})
# printf-style conversions' width and precision ('%-10.3f', '%*d')
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")


class TooLarge(jinja2.exceptions.SecurityError):
    """A site's template made, or was about to make, a value larger than the sandbox allows."""


class TooMuchWork(jinja2.exceptions.SecurityError):
    """A page's templates made more loop iterations and calls than the sandbox allows."""


class TooMuchText(TooMuchWork):
    """A page's templates worked on more characters than the sandbox allows."""


def _too_much_text(work: int) -> TooMuchText:
    return TooMuchText(
        f"this page's templates worked on more than {work:,} characters, more than a page may (a large "
        "text made, printed, compared or searched again and again in a loop)"
    )


def _too_much_work(steps: int) -> TooMuchWork:
    return TooMuchWork(
        f"this page's templates made more than {steps:,} loop iterations and calls, more than a page may "
        "(a loop nested in another, or a macro calling itself, multiplies them)"
    )


class PageTemplate(jinja2.Template):
    """A template of BoundedSandbox: each page rendered from it starts with a whole budget of
    loop iterations and calls, and of characters worked on (its includes, macros and parents share
    them)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        environment = self.environment
        if isinstance(environment, BoundedSandbox):
            environment.steps_left = environment.steps
            environment.work_left = environment.work
        return super().render(*args, **kwargs)


class BoundedCodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, where a `~` joins its parts through BoundedSandbox.joined (which
    measures them before joining: `x ~ x ~ x …` of a text of 10 million characters made gigabytes),
    and the sides of a comparison go through BoundedSandbox.measured (`'b' in x`, `x == y` read
    the whole of a text)."""

    @jinja2.compiler.optimizeconst
    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"  # as Jinja's own
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.joined({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    @jinja2.compiler.optimizeconst
    def visit_Compare(self, node: jinja2.nodes.Compare, frame: jinja2.compiler.Frame) -> None:
        self.write("(environment.measured(")
        self.visit(node.expr, frame)
        self.write(")")
        for op in node.ops:
            self.visit(op, frame)
        self.write(")")

    @jinja2.compiler.optimizeconst
    def visit_Getitem(self, node: jinja2.nodes.Getitem, frame: jinja2.compiler.Frame) -> None:
        if not isinstance(node.arg, jinja2.nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.sliced(")  # Jinja's own takes a slice in Python, not through the sandbox
        self.visit(node.node, frame)
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            self.write(", ")
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
        self.write(")")

    def visit_Operand(self, node: jinja2.nodes.Operand, frame: jinja2.compiler.Frame) -> None:
        self.write(f" {jinja2.compiler.operators[node.op]} environment.measured(")
        self.visit(node.expr, frame)
        self.write(")")


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _text_size(value: object, limit: int) -> int:
    """About how many characters `str(value)` makes, found without making it (a list holding one
    text of 10 million characters a thousand times is 10 billion); once past `limit`, a number past
    it. Texts, numbers and containers are measured (each container once, however often it is held:
    its size is kept); anything else in a container is made into text (repr) once; anything else
    outside one counts 0 (it comes from the site as it is, not made by the template)."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 0
    sizes: dict[int, int] = {}  # each container's and object's size, once known (`value` holds them)
    walking: set[int] = set()  # the containers being measured (one holding itself prints `[...]`)
    seen = 0  # what the parts measured so far come to: the whole is at least that
    stack: list[tuple[object, bool]] = [(value, False)]
    while stack:
        item, measured = stack.pop()
        if measured:  # its parts are known
            parts = _parts(item)
            walking.discard(id(item))
            sizes[id(item)] = 2 + sum(_leaf_size(p, sizes) + 2 for p in parts)
            continue
        if id(item) in sizes or id(item) in walking:
            continue
        walking.add(id(item))
        stack.append((item, True))
        for part in _parts(item):
            if isinstance(part, _CONTAINERS):
                if id(part) not in walking:
                    stack.append((part, False))
            else:
                seen += _leaf_size(part, sizes) + 2
                if seen > limit:
                    return seen
    return sizes.get(id(value), 0)


def _parts(container: object) -> list[object]:
    if isinstance(container, dict):
        return [*container.keys(), *container.values()]
    return list(cast(Iterable[object], container))


def _leaf_size(item: object, sizes: dict[int, int]) -> int:
    """The characters `item` makes inside a printed container (sizes: the containers measured, and
    the objects made into text, by id)."""
    if isinstance(item, str):
        return len(item) + 2  # its quotes
    if isinstance(item, bytes):
        return 4 * len(item) + 3
    if isinstance(item, int) and not isinstance(item, bool):
        return item.bit_length() // 3 + 2
    if isinstance(item, bool | float) or item is None:
        return 24
    if id(item) in sizes:
        return sizes[id(item)]
    if isinstance(item, _CONTAINERS):
        return 5  # one being measured: it holds itself, and prints as `[...]`
    sizes[id(item)] = len(repr(item))
    return sizes[id(item)]


def _refuse(what: str, size: int, limit: int = MAX_VALUE) -> None:
    if size > limit:
        raise TooLarge(f"{what} would make {size:,} characters or items, more than a template may ({limit:,})")


def _check_numbers(what: str, numbers: Iterable[object]) -> None:
    for number in numbers:
        if isinstance(number, int) and not isinstance(number, bool) and abs(number) > MAX_VALUE:
            raise TooLarge(f"{what} is given {number:,}, more than a template may ask for ({MAX_VALUE:,})")


def _check_printf(template: str, values: object) -> None:
    """'%10000000000d' % 1 and '%*d' % (10**10, 1): a width or precision past the bound."""
    starred = False
    for match in _PRINTF_SPEC.finditer(template):
        for part in match.groups():
            if part == "*":
                starred = True
            elif part is not None:
                _check_numbers("a '%' format's width or precision", [int(part)])
    if starred:
        _check_numbers("a '%' format's '*' width", values if isinstance(values, tuple) else [values])


def _check_format(template: str, args: Iterable[object], kwargs: Mapping[str, object]) -> None:
    """'{:>10000000000}'.format(1), and '{:{}}'.format(1, 10**10): a width or precision past the bound."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:  # str.format itself says what is wrong with it
        return
    for _, _, spec, _ in fields:
        if spec:
            _check_numbers("a format's width or precision", [int(n) for n in _NUMBER.findall(spec)])
            if "{" in spec:
                _check_numbers("a format's nested width", [*args, *kwargs.values()])


def _binop_size(op: str, left: Any, right: Any) -> None:
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            if _size(seq) and isinstance(times, int):
                _refuse("'*'", _size(seq) * max(times, 0))
    elif op == "+":
        if _size(left) and _size(right):
            _refuse("'+'", _size(left) + _size(right))
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            bits = abs(left).bit_length() * right
            if bits > MAX_BITS:
                raise TooLarge(
                    f"'**' would make a number of about {bits:,} bits, more than a template may ({MAX_BITS:,})"
                )
    elif op == "%" and isinstance(left, str):
        _check_printf(left, right)


def _stretch_size(method: Any, args: tuple[Any, ...]) -> None:
    """What a str or list method named in _STRETCHING would make, before it makes it."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if name not in _STRETCHING or (not _size(owner) and not isinstance(owner, str)):
        return
    what = f"'.{name}()'"
    if name in _WIDENING:
        _check_numbers(what, args)
    if name == "expandtabs" and isinstance(owner, str):
        width = args[0] if args and isinstance(args[0], int) else 8
        _refuse(what, len(owner) + owner.count("\t") * max(width, 0))
    elif name == "replace" and isinstance(owner, str) and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, str) and isinstance(new, str):
            _refuse(what, len(owner) + owner.count(old) * max(len(new) - len(old), 0))
    elif name == "join" and isinstance(owner, str) and args and isinstance(args[0], list | tuple):
        _refuse(what, sum(_size(p) for p in args[0]) + len(owner) * len(args[0]))
    elif name == "translate" and isinstance(owner, str) and args and isinstance(args[0], dict):
        widest = max((_size(v) for v in args[0].values()), default=1)
        _refuse(what, len(owner) * max(widest, 1))
    elif name == "extend" and args:
        _refuse(what, _size(owner) + _size(args[0]))


def _bounded_filter(env: BoundedSandbox, name: str, apply: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter whose numbers past the value (center's width, batch's count) are bounded,
    with format's '%' checked, join's and replace's result measured before it is made, and what
    it is given and makes charged to the page's characters (BoundedSandbox.charge)."""
    takes_context = getattr(apply, "jinja_pass_arg", None) is not None
    weight = _SLOW.get(name, 1)

    def bounded(*args: Any, **kwargs: Any) -> Any:
        given = args[1:] if takes_context else args
        value, rest = (given[0], given[1:]) if given else (None, ())
        if name in _TEXT_FILTERS:  # a list of texts as text: as large as they are together
            size = _text_size(value, MAX_PAGE)
            _refuse(f"the filter '{name}'", size, MAX_PAGE if isinstance(value, Markup) else MAX_VALUE)
        else:
            size = _size(value)
        env.charge(weight * size + sum(_size(v) for v in (*rest, *kwargs.values())))
        if name in _WIDENING_FILTERS:
            _check_numbers(f"the filter '{name}'", [*rest, *kwargs.values()])
        if name == "format" and isinstance(value, str):
            _check_printf(value, tuple(rest) or kwargs)
        elif name == "replace" and isinstance(value, str) and len(rest) >= 2:
            old, new = str(rest[0]), str(rest[1])
            _refuse(f"the filter '{name}'", len(value) + value.count(old) * max(len(new) - len(old), 0))
        elif name == "join" and isinstance(value, list | tuple):
            joiner = rest[0] if rest and isinstance(rest[0], str) else ""
            _refuse(f"the filter '{name}'", sum(_size(p) for p in value) + len(joiner) * len(value))
        result = apply(*args, **kwargs)
        _refuse(f"the filter '{name}'", _size(result))
        env.charge(_size(result))
        return result

    bounded.__name__ = getattr(apply, "__name__", name)
    if takes_context:
        bounded.jinja_pass_arg = apply.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def _charged_test(env: BoundedSandbox, name: str, test: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in test (`x is lower`, `x is in(y)` read a whole text), what it is given charged."""
    takes_context = getattr(test, "jinja_pass_arg", None) is not None
    weight = _SLOW.get(name, 1)

    def charged(*args: Any, **kwargs: Any) -> Any:
        given = args[1:] if takes_context else args
        env.charge(weight * sum(_size(v) for v in (*given, *kwargs.values())))
        return test(*args, **kwargs)

    charged.__name__ = getattr(test, "__name__", name)
    if takes_context:
        charged.jinja_pass_arg = test.jinja_pass_arg  # type: ignore[attr-defined]
    return charged


def bounded_range(*args: int) -> range:
    """range(), of at most jinja2.sandbox.MAX_RANGE numbers (Jinja's own says so in an OverflowError)."""
    numbers = range(*args)
    count = (numbers.stop - numbers.start + numbers.step - (1 if numbers.step > 0 else -1)) // numbers.step
    if count > jinja2.sandbox.MAX_RANGE:  # len() itself fails past sys.maxsize
        raise TooLarge(f"range() would make {count:,} numbers, more than a template may ({jinja2.sandbox.MAX_RANGE:,})")
    return numbers


def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """lipsum(): its paragraphs and their words bounded (lipsum(10**6) would make about 400 MB)."""
    _check_numbers("lipsum()", [n * max, min])
    return str(jinja2.utils.generate_lorem_ipsum(n=n, html=html, min=min, max=max))


class BoundedNamespace(jinja2.utils.Namespace):
    """namespace(): `{% set ns.text = ns.text ~ ns.text %}` in a loop doubles a text each time."""

    def __setitem__(self, name: str, value: Any) -> None:
        _refuse(f"setting '{name}' of a namespace", _size(value))
        super().__setitem__(name, value)


class BoundedSandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox (no reaching Python from a template), where each value a template makes is
    bounded in size: `'x' * 10**10`, `10 ** 10 ** 10`, `'{:>10000000000}'.format(1)`, a text doubled
    in a loop or a macro are a located error of the template, not a job out of memory."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    template_class = PageTemplate
    code_generator_class = BoundedCodeGenerator

    def __init__(self, *args: Any, steps: int = MAX_STEPS, work: int = MAX_WORK, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.steps = steps  # the loop iterations and calls a page may make
        self.steps_left = steps  # of the page being rendered (PageTemplate.render)
        self.work = work  # the characters a page's templates may work on
        self.work_left = work  # of the page being rendered
        self.finalize = self.printed
        self.globals["namespace"] = BoundedNamespace
        self.globals["range"] = bounded_range
        self.globals["lipsum"] = bounded_lipsum
        self.filters = {name: _bounded_filter(self, name, apply) for name, apply in self.filters.items()}
        self.tests = {
            name: _charged_test(self, name, cast(Callable[..., Any], test)) for name, test in self.tests.items()
        }

    def add_filter(self, name: str, apply: Callable[..., Any]) -> None:
        """A filter of ours, bounded as the built-in ones are."""
        self.filters[name] = _bounded_filter(self, name, apply)

    def charge(self, characters: int) -> None:
        """Count `characters` worked on against the page's budget (MAX_WORK)."""
        self.work_left -= characters
        if self.work_left < 0:
            raise _too_much_text(self.work)

    def measured(self, value: Any) -> Any:
        """A side of a comparison (`in`, `==`, `<` read a whole text or list), charged."""
        self.charge(_size(value))
        return value

    def printed(self, value: Any) -> Any:
        """A value a template prints (`{{ … }}`), before it is made into text: a list of large
        texts is refused as a text that large would be, and what it comes to is charged."""
        size = _text_size(value, MAX_PAGE)
        _refuse("printing a value", size, MAX_PAGE if isinstance(value, Markup) else MAX_VALUE)
        self.charge(size)
        return value

    def joined(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """`a ~ b ~ c`, measured before it is joined (by `join`, Jinja's markup_join or str_join)."""
        limit = MAX_PAGE if any(isinstance(p, Markup) for p in parts) else MAX_VALUE
        size = 0
        for part in parts:
            size += _text_size(part, limit)
            _refuse("'~'", size, limit)
        self.charge(size)
        result = join(parts)
        _refuse("'~'", len(result), limit)  # escaped: '<' is '&lt;'
        self.charge(len(result))
        return result

    def sliced(self, obj: Any, start: Any, stop: Any, step: Any) -> Any:
        """`x[a:b:c]`, which copies what it takes: charged."""
        result = obj[start:stop:step]
        self.charge(_size(result))
        return result

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        """The template's tree, where each loop's iterable is counted (`counted`)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(jinja2.nodes.For):
            loop.iter = jinja2.nodes.Call(
                jinja2.nodes.EnvironmentAttribute("counted"), [loop.iter], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def counted(self, iterable: Iterable[Any]) -> Iterable[Any]:
        """A loop's iterable, each of its items one step of the page's budget: taken at once from
        one that says its length (a list, a range, a text: the loop then runs over the iterable
        itself, at no cost an item), one at a time from another. Items added to a list while a loop
        runs over it are added by calls, which are counted."""
        try:
            length = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            return self._counted_items(iterable)
        self.steps_left -= length
        if self.steps_left < 0:
            raise _too_much_work(self.steps)
        return iterable

    def _counted_items(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.steps_left -= 1
            if self.steps_left < 0:
                raise _too_much_work(self.steps)
            yield item

    def compile(
        self,
        source: str | jinja2.nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """Jinja's compile, where a template nested too deeply for its parser (a RecursionError)
        or for Python (25 loops one in another: "too many statically nested blocks") is a syntax
        error of the template, located, as any other, rather than a traceback."""
        try:
            return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        except (RecursionError, SyntaxError) as exc:
            line = _parsed_line(exc) or (_deepest_line(self, source) if isinstance(source, str) else None)
            raise jinja2.exceptions.TemplateSyntaxError(
                "tags or expressions nested too deeply one in another (loops, conditions, brackets) for the "
                "template to be compiled; take the inner ones out into a macro or an include",
                line or 1,
                name,
                filename,
            ) from None

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _binop_size(operator, left, right)
        self.charge(_size(left) + _size(right))
        result = super().call_binop(context, operator, left, right)
        self.charge(_size(result))
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.steps_left -= 1
        if __self.steps_left < 0:
            raise _too_much_work(__self.steps)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level: its items are counted too
            args = (__self.counted(args[0]), *args[1:])
        # a macro's or block's output (Markup) may be as large as a page
        for value in (*args, *kwargs.values()):
            _refuse("a call's argument", _size(value), MAX_PAGE if isinstance(value, Markup) else MAX_VALUE)
        _stretch_size(__obj, args)
        given = _size(getattr(__obj, "__self__", None)) + sum(_size(v) for v in (*args, *kwargs.values()))
        __self.charge(_SLOW.get(getattr(__obj, "__name__", ""), 1) * given)
        result = super().call(__context, __obj, *args, **kwargs)
        limit = MAX_PAGE if isinstance(result, Markup) else MAX_VALUE
        _refuse(f"calling {getattr(__obj, '__name__', 'a function')}", _size(result), limit)
        __self.charge(_size(result))
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        sandboxed = super().wrap_str_format(value)
        if sandboxed is None:
            return None
        template = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            fields = args[0] if value.__name__ == "format_map" and args else kwargs
            _check_format(template, args, fields if isinstance(fields, Mapping) else {})
            result = sandboxed(*args, **kwargs)
            _refuse("'.format()'", len(result))
            return result

        return bounded

    def concat(self, parts: Iterable[str]) -> str:
        """A page's, a macro's or a block's output, joined: a loop printing one large text many
        times holds only references to it until this join."""
        kept = []
        total = 0
        for part in parts:
            total += len(part)
            refused: jinja2.exceptions.SecurityError | None = None
            if total > MAX_PAGE:
                refused = TooLarge(
                    f"the output would be more than {MAX_PAGE:,} characters, more than a template may make"
                )
            elif self.work_left < len(part):
                refused = _too_much_text(self.work)
            if refused is not None:
                if isinstance(parts, Generator):  # raised where the template is, at the line that printed the part
                    parts.throw(refused)
                raise refused
            self.work_left -= len(part)
            kept.append(part)
        return "".join(kept)


def _parsed_line(exc: BaseException) -> int | None:
    """The line Jinja's parser had reached when `exc` was raised in it (it recurses once for each
    level of nesting), or None when it was not raised while parsing."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        parser = tb.tb_frame.f_locals.get("self")
        if isinstance(parser, jinja2.parser.Parser):
            line = parser.stream.current.lineno
        tb = tb.tb_next
    return line


def _deepest_line(env: jinja2.Environment, source: str) -> int | None:
    """The line of the most deeply nested node of a template that parses (None if it does not)."""
    try:
        tree = jinja2.parser.Parser(env, source).parse()  # as written: not BoundedSandbox._parse's counted loops
    except (RecursionError, jinja2.exceptions.TemplateSyntaxError):
        return None
    deepest, line = -1, None
    stack: list[tuple[jinja2.nodes.Node, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, line = depth, getattr(node, "lineno", None)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return line
