#!/usr/bin/env python3
"""Generates a synthetic handbook of N answer pages in copbook's format,
with members, roles and norms in proportion, wiki links and questions.
With --peer mdbook|hugo|zola it writes the same Markdown bodies for that
tool with minimal templates. Deterministic: the same N gives the same files.

usage: gen_corpus.py N OUT [--peer mdbook|hugo|zola]
"""
import os
import random
import sys

WORDS = ("community practice member steward data quality share learn meeting norm role "
         "purpose charter sponsor evidence reflect celebrate plan launch grow sustain close "
         "knowledge trust voice decision conflict agree review publish open catalogue").split()


def sentence(rng, n=14):
    w = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(w).capitalize() + "."


def body(rng, i, questions, links):
    out = []
    for qi, q in enumerate(questions):
        out.append(f"## {q}\n")
        if (i + qi) % 9 == 0:
            out.append("<!-- to answer -->\n")
            continue
        para = " ".join(sentence(rng) for _ in range(4))
        if links:
            para += " " + " ".join(links[(qi * 3 + k) % len(links)] for k in range(3))
        out.append(para + "\n")
        out.append(f"- {sentence(rng, 8)}\n- {sentence(rng, 8)}\n- **{sentence(rng, 6)}**\n")
    return "\n".join(out)


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    peer = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--peer" else None
    rng = random.Random(n)
    phases = 7
    members = max(8, n // 20)
    roles = max(5, n // 100)
    norms = max(6, n // 100)
    pages_per_phase = [n // phases + (1 if p < n % phases else 0) for p in range(phases)]
    os.makedirs(out, exist_ok=True)

    def write(rel, text):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    page_refs = []
    for p in range(phases):
        for k in range(pages_per_phase[p]):
            page_refs.append((f"{p + 1:02d}-phase{p + 1}", f"page-{k:05d}"))

    i = 0
    summary = ["# Summary\n"]
    for p in range(phases):
        pdir = f"{p + 1:02d}-phase{p + 1}"
        if peer is None:
            write(f"content/{pdir}/_phase.md", f"+++\ntitle = \"Phase {p + 1}\"\nsummary = \"{sentence(rng, 8)}\"\n+++\n\n{sentence(rng)}\n")
        for k in range(pages_per_phase[p]):
            questions = [f"Question {j + 1} of page {i}: {sentence(rng, 6)[:-1]}?" for j in range(4)]
            owner = f"m{i % members:04d}"
            if peer is None:
                target = page_refs[(i * 7 + 3) % len(page_refs)]
                links = [f"[[m{(i + 1) % members:04d}]]", f"[[role:r{i % roles:03d}]]", f"[[norm:n{i % norms:03d}|our norm]]", f"[[{target[0]}/{target[1]}]]"]
            else:
                links = []
            text = body(rng, i, questions, links)
            stem = f"page-{k:05d}"
            title = f"Page {i}: {sentence(rng, 4)[:-1]}"
            if peer is None:
                q = ",\n  ".join('"' + x + '"' for x in questions)
                fm = (f"+++\ntitle = \"{title}\"\norder = {k}\nquestions = [\n  {q},\n]\nowner = \"{owner}\"\n"
                      f"status = \"{'agreed' if i % 2 else 'draft'}\"\nreview-by = 2027-0{1 + i % 9}-01\n"
                      f"members = [\"{owner}\"]\nroles = [\"r{i % roles:03d}\"]\nnorms = [\"n{i % norms:03d}\"]\n+++\n\n")
                write(f"content/{pdir}/{stem}.md", fm + text)
            elif peer == "mdbook":
                write(f"src/{pdir}/{stem}.md", f"# {title}\n\n{text}")
                summary.append(f"- [{title}](./{pdir}/{stem}.md)\n")
            elif peer == "hugo":
                write(f"content/{pdir}/{stem}.md", f"+++\ntitle = \"{title}\"\nweight = {k}\n+++\n\n{text}")
            elif peer == "zola":
                write(f"content/{pdir}/{stem}.md", f"+++\ntitle = \"{title}\"\nweight = {k}\n+++\n\n{text}")
            i += 1
        if peer == "zola":
            write(f"content/{pdir}/_index.md", f"+++\ntitle = \"Phase {p + 1}\"\n+++\n")

    if peer is None:
        for m in range(members):
            write(f"content/members/m{m:04d}.md",
                  f"+++\nname = \"Member {m}\"\nroles = [\"r{m % roles:03d}\"]\nparticipation = \"{['core', 'active', 'occasional', 'peripheral', 'sponsor'][m % 5]}\"\n"
                  f"organization = \"Org {m % 7}\"\nexpertise = [\"{rng.choice(WORDS)}\", \"{rng.choice(WORDS)}\"]\n+++\n\n{sentence(rng)}\n")
        for r in range(roles):
            write(f"content/roles/r{r:03d}.md",
                  f"+++\ntitle = \"Role {r}\"\nsummary = \"{sentence(rng, 8)}\"\nnorms = [\"n{r % norms:03d}\"]\n+++\n\n{sentence(rng)}\n")
        for x in range(norms):
            write(f"content/norms/n{x:03d}.md",
                  f"+++\ntitle = \"Norm {x}\"\ncategory = \"voice\"\nowner = \"m{x % members:04d}\"\n+++\n\n{sentence(rng)}\n")
        write("content/index.md", "+++\ntitle = \"Bench CoP\"\n+++\n\nA synthetic handbook.\n")
        write("book.toml", "[book]\ntitle = \"Bench CoP\"\n")
    elif peer == "mdbook":
        write("src/SUMMARY.md", "".join(summary))
        write("book.toml", "[book]\ntitle = \"Bench\"\n[output.html]\nsearch.enable = false\n")
    elif peer == "hugo":
        write("hugo.toml", "baseURL = '/'\ntitle = 'Bench'\ndisableKinds = ['taxonomy', 'term', 'RSS']\n")
        write("layouts/_default/single.html", "<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n")
        write("layouts/_default/list.html", "<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}</body></html>\n")
        write("content/_index.md", "+++\ntitle = \"Bench\"\n+++\n")
    elif peer == "zola":
        write("config.toml", "base_url = \"/\"\ntitle = \"Bench\"\n")
        write("templates/page.html", "<!DOCTYPE html><html><head><title>{{ page.title }}</title></head><body><h1>{{ page.title }}</h1>{{ page.content | safe }}</body></html>\n")
        write("templates/section.html", "<!DOCTYPE html><html><head><title>{{ section.title }}</title></head><body>{% for p in section.pages %}<a href=\"{{ p.permalink }}\">{{ p.title }}</a>{% endfor %}</body></html>\n")
        write("templates/index.html", "<!DOCTYPE html><html><head><title>Bench</title></head><body>Bench</body></html>\n")
        write("content/_index.md", "+++\ntitle = \"Bench\"\n+++\n")


if __name__ == "__main__":
    main()
