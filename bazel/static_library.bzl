"""One static archive of a cc_library and everything of ours beneath it, for installing.

Bazel 4 has no cc_static_library: each cc_library makes an archive of its own. This rule
merges those of the workspace (system libraries are link flags, not archives) into one
`lib<name>.a` with `ar`'s MRI script, and writes what a consumer needs to compile and link
against it: the preprocessor definitions the public headers rely on, and the link flags of
the system libraries beneath it, in link order.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _archives(cc_info):
    archives = []
    flags = []
    for linker_input in cc_info.linking_context.linker_inputs.to_list():
        for flag in linker_input.user_link_flags:
            if flag not in flags:
                flags.append(flag)
        for library in linker_input.libraries:
            archive = library.pic_static_library or library.static_library
            if archive and archive not in archives:
                archives.append(archive)
    return archives, flags

def _static_library_impl(ctx):
    cc_info = ctx.attr.dep[CcInfo]
    archives, link_flags = _archives(cc_info)
    out = ctx.actions.declare_file("lib%s.a" % ctx.attr.library_name)
    script = ctx.actions.declare_file("lib%s.mri" % ctx.attr.library_name)
    lines = ["CREATE " + out.path] + ["ADDLIB " + a.path for a in archives] + ["SAVE", "END"]
    ctx.actions.write(script, "\n".join(lines) + "\n")
    ar = find_cpp_toolchain(ctx).ar_executable
    ctx.actions.run_shell(
        inputs = archives + [script],
        outputs = [out],
        command = "%s -M < %s" % (ar, script.path),
        mnemonic = "MergeArchives",
        progress_message = "Merging %d archives into %s" % (len(archives), out.short_path),
    )
    flags = ctx.actions.declare_file("lib%s.flags" % ctx.attr.library_name)
    defines = cc_info.compilation_context.defines.to_list()
    ctx.actions.write(flags, "defines=%s\nlink=%s\n" % (
        " ".join(["-D" + d for d in defines]),
        " ".join(link_flags),
    ))
    return [DefaultInfo(files = depset([out, flags]), runfiles = ctx.runfiles(files = [out, flags]))]

redpool_static_library = rule(
    implementation = _static_library_impl,
    attrs = {
        "dep": attr.label(providers = [CcInfo]),
        "library_name": attr.string(mandatory = True),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    incompatible_use_toolchain_transition = True,
)
