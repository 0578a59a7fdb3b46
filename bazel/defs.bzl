"""Compiler options and rule helpers shared by every redpool target."""

# Who may use lib/'s folders directly: the library itself, and white-box tests and tools.
REDPOOL_INTERNAL = [
    "//:__pkg__",
    "//lib:__subpackages__",
    "//tests:__subpackages__",
    "//tools:__subpackages__",
]

REDPOOL_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-missing-field-initializers",
]

def redpool_test(name, srcs = None, deps = [], size = "small", tags = [], **kwargs):
    """One Catch2 test binary per test file, linked with the counting test main.

    Args:
      name: target name; the source defaults to `<name>.cpp`.
      srcs: sources, if not just `<name>.cpp`.
      deps: extra dependencies besides //:redpool, Catch2 and the test main.
      size: Bazel test size.
      tags: Bazel tags.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name,
        # Statically linked: a test that replaces operator new (tests/support:alloc_failure)
        # must have it in the executable, where it wins over libstdc++'s.
        linkstatic = True,
        srcs = srcs if srcs != None else [name + ".cpp"],
        copts = REDPOOL_COPTS,
        size = size,
        tags = tags,
        deps = deps + [
            "//:redpool",
            "//tests/support:catch_main",
            "@catch2",
        ],
        **kwargs
    )
