"""Fails when a tracked file names a path outside the repository.

A clean clone must build and pass its tests with nothing beside it, so no file may reach above the
repository root: nothing in the `shared` folder beside the checkout (the developers' reference
material) and no relative path with more `../` steps than the file is deep. Called by .ci/run.
"""
import re
import subprocess
import sys

UP = re.compile(r"(?:\.\./)+")
SHARED = "../" + "shared"  # spelled in two parts so this file does not flag itself

def main():
    files = subprocess.run(["git", "ls-files", "-z"], check=True, capture_output=True).stdout
    problems = []
    for path in filter(None, files.decode().split("\0")):
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files (images) and submodules name no paths
        depth = path.count("/")
        for number, line in enumerate(text.splitlines(), 1):
            steps = max((len(m.group(0)) // 3 for m in UP.finditer(line)), default=0)
            if SHARED in line or steps > depth:
                problems.append(f"{path}:{number}: {line.strip()}")
    if problems:
        print("these lines name paths outside the repository:", *problems, sep="\n  ")
        sys.exit(1)
    print("standalone: no tracked file names a path outside the repository")

if __name__ == "__main__":
    main()
