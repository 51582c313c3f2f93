/* The romfs report page. report_html.c embeds the JSON report (#report,
 * the same as `romfs report --format json`) and a few facts the page
 * needs beyond it (#facts: the directory holding each entry, the base
 * size of each removed file); this script draws from them the title, the
 * totals, a squarified treemap of the image, the diff against a base and
 * a table of every file. It loads nothing and needs no library.
 *
 * Every byte of the image is a rectangle's: a file's (its data, with its
 * metadata and padding as strips at its end), a directory's own records
 * (metadata, and padding hatched), or, with a capacity, the free space.
 * Within a directory, areas are proportional to bytes; a directory's
 * frame and label take a little of its area from its contents. */
"use strict";
/* A fault shows on the page, and as data-state="error" for the tests. */
addEventListener("error", (e) => {
    document.documentElement.dataset.state = "error";
    document.documentElement.dataset.error = String(e.message);
    const p = document.createElement("pre");
    p.id = "error";
    p.textContent = "The page's script failed: " + e.message;
    document.body.prepend(p);
});
(function () {
    const started = performance.now();
    const html = document.documentElement;
    const page = document.getElementById("page");

    /* Rectangles smaller than a pixel are drawn as one grouped block per
     * directory, and so are the smallest when more than MAX_DRAWN files
     * would be drawn: a map of 40,000 rectangles costs the browser
     * seconds and shows nothing more. The table still lists every file. */
    const MIN_AREA = 1;         /* px^2 */
    const MAX_DRAWN = 20000;    /* rectangles on the map at most, about */

    const KINDS = ["model", "python", "text", "image", "web", "data"];

    function esc(s) {
        return String(s).replace(/[&<>"']/g, (c) =>
            c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;");
    }
    function num(n) {
        return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    }
    function human(n) {
        const a = Math.abs(n);
        if (a < 1024) {
            return n + " B";
        }
        const units = ["KiB", "MiB", "GiB"];
        let v = a / 1024, u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (n < 0 ? "\u2212" : "") + v.toFixed(1) + " " + units[u];
    }
    function bytes(n) {
        return num(n) + " bytes" + (Math.abs(n) >= 1024 ? " (" + human(n) + ")" : "");
    }
    function signed(n) {
        return (n > 0 ? "+" : n < 0 ? "\u2212" : "\u00b1") + num(Math.abs(n));
    }
    function pct(part, whole) {
        if (!whole) {
            return "\u2013";
        }
        const p = (100 * part) / whole;
        return (p !== 0 && Math.abs(p) < 0.1 ? p.toFixed(3) : p.toFixed(1)) + "%";
    }
    function plural(n, what) {
        return num(n) + " " + what + (n === 1 ? "" : "s");
    }
    function hex(n) {
        return "0x" + n.toString(16);
    }

    /* ---- The model: directories, files and the bytes of each. ---- */

    const R = JSON.parse(document.getElementById("report").textContent);
    const F = JSON.parse(document.getElementById("facts").textContent);
    const D = R.diff || null;
    const T = R.totals;
    const hasCap = T.capacity !== null;
    let ord = 0; /* ties in size are broken by image order, so the map is the same every time */

    const dirs = R.dirs.map((d, i) => ({
        t: "dir", i, path: d.path, d, bytes: d.total, up: i ? F.dir_parent[i] : -1,
        items: [], files: 0, marks: 0, depth: 0, ord: ord++,
    }));
    const files = R.files.map((f, i) => ({
        t: "file", i, path: f.path, f, bytes: f.data + f.metadata + f.padding, up: F.file_dir[i],
        status: "", change: null, ord: ord++,
    }));
    function nameOf(node) {
        if (node.t === "dir" && node.i === 0) {
            return "/";
        }
        const above = dirs[node.up].path;
        return above === "" ? node.path : node.path.slice(above.length + 1);
    }
    if (D) {
        const added = new Set(D.added);
        const changed = new Map(D.changed.map((c) => [c.path, c]));
        for (const n of files) {
            if (added.has(n.path)) {
                n.status = "added";
            } else if (changed.has(n.path)) {
                n.status = "changed";
                n.change = changed.get(n.path);
            }
        }
    }
    for (const d of dirs) {
        if (d.up >= 0) {
            d.depth = dirs[d.up].depth + 1;
            dirs[d.up].items.push(d);
        }
        /* A directory's own records: what finds its entries, and padding. */
        if (d.d.metadata > 0) {
            d.items.push({ t: "meta", dir: d, bytes: d.d.metadata, ord: ord++ });
        }
        if (d.d.padding > 0) {
            d.items.push({ t: "pad", dir: d, bytes: d.d.padding, ord: ord++ });
        }
    }
    for (const n of files) {
        const d = dirs[n.up];
        d.items.push(n);
        d.files++;
        d.marks += n.status ? 1 : 0;
    }
    for (let i = dirs.length - 1; i > 0; i--) { /* a directory comes before what it holds */
        dirs[dirs[i].up].files += dirs[i].files;
        dirs[dirs[i].up].marks += dirs[i].marks;
    }
    const free = hasCap ? T.free : 0;
    const freeNode = { t: "free", bytes: Math.max(free, 0), ord: ord++ };

    /* ---- The layout: squarified (Bruls, Huizing, van Wijk), by hand. ---- */

    /* The worse aspect ratio in a row of total area s, smallest mn and
     * largest mx, laid along a side of length side. */
    function worst(s, mn, mx, side) {
        const s2 = s * s, side2 = side * side;
        return Math.max((side2 * mx) / s2, s2 / (side2 * mn));
    }

    /* Areas (largest first, summing to w*h) to rectangles [x, y, w, h]:
     * rows along the shorter side, each grown while that makes its worst
     * rectangle squarer. The last row and the last rectangle of a row
     * take what is left, so rounding leaves no gap. */
    function squarify(areas, x, y, w, h) {
        const out = new Array(areas.length);
        let i = 0;
        while (i < areas.length) {
            const side = Math.min(w, h);
            let s = areas[i], mn = s, mx = s, j = i + 1;
            let ratio = worst(s, mn, mx, side);
            while (j < areas.length) {
                const v = areas[j];
                const r = worst(s + v, Math.min(mn, v), Math.max(mx, v), side);
                if (r > ratio) {
                    break;
                }
                s += v;
                mn = Math.min(mn, v);
                mx = Math.max(mx, v);
                ratio = r;
                j++;
            }
            const last = j === areas.length;
            if (w >= h) { /* a column at the left */
                const cw = last ? w : h > 0 ? s / h : 0;
                let at = y;
                for (let k = i; k < j; k++) {
                    const hk = k === j - 1 ? y + h - at : s > 0 ? (areas[k] / s) * h : 0;
                    out[k] = [x, at, cw, hk];
                    at += hk;
                }
                x += cw;
                w -= cw;
            } else { /* a row at the top */
                const rh = last ? h : w > 0 ? s / w : 0;
                let at = x;
                for (let k = i; k < j; k++) {
                    const wk = k === j - 1 ? x + w - at : s > 0 ? (areas[k] / s) * w : 0;
                    out[k] = [at, y, wk, rh];
                    at += wk;
                }
                y += rh;
                h -= rh;
            }
            i = j;
        }
        return out;
    }

    function larger(a, b) {
        return b.bytes - a.bytes || a.ord - b.ord;
    }

    /* Where a directory's contents go inside its frame: below its label
     * when there is room for one, else just inside its border. */
    function inside(r) {
        const [x, y, w, h] = r;
        if (w >= 60 && h >= 40) {
            return { label: true, r: [x + 2, y + 17, w - 4, h - 19] };
        }
        if (w >= 8 && h >= 8) {
            return { label: false, r: [x + 2, y + 2, w - 4, h - 4] };
        }
        return { label: false, r: [x, y, w, h] };
    }

    /* The area below which a rectangle is grouped: a pixel, or more when
     * that would draw more than MAX_DRAWN rectangles (frames count too).
     * Judged by each file's share of the whole map, which its frames'
     * borders only make smaller. */
    function smallest(top, W, H) {
        const found = [], todo = top.filter((n) => n.t === "dir");
        let frames = 0;
        while (todo.length) {
            const d = todo.pop();
            frames++;
            for (const n of d.items) {
                if (n.t === "dir") {
                    todo.push(n);
                } else if (n.t === "file") {
                    found.push(n.bytes);
                }
            }
        }
        const room = Math.max(MAX_DRAWN / 4, MAX_DRAWN - frames);
        if (found.length <= room) {
            return MIN_AREA;
        }
        const scale = (W * H) / top.reduce((s, n) => s + n.bytes, 0);
        found.sort((a, b) => b - a);
        return Math.max(MIN_AREA, found[room] * scale);
    }

    /* Every rectangle of the map, frames before what they hold. With an
     * explicit stack: a deep image must not exhaust the script's. */
    function layout(top, W, H) {
        const out = [];
        const minArea = smallest(top, W, H);
        const jobs = [{ items: top, r: [0, 0, W, H], dir: null }];
        while (jobs.length) {
            const job = jobs.pop();
            const [x, y, w, h] = job.r;
            const items = job.items.filter((n) => n.bytes > 0);
            const sum = items.reduce((s, n) => s + n.bytes, 0);
            if (sum <= 0 || w <= 0 || h <= 0) {
                continue;
            }
            const scale = (w * h) / sum;
            const drawn = [], small = [];
            for (const n of items) {
                (n.bytes * scale >= minArea ? drawn : small).push(n);
            }
            if (small.length === 1) {
                drawn.push(small[0]);
            } else if (small.length > 1) {
                small.sort(larger);
                drawn.push({
                    t: "agg", dir: job.dir, members: small, ord: small[0].ord,
                    bytes: small.reduce((s, n) => s + n.bytes, 0),
                    files: small.reduce((s, n) => s + (n.t === "file" ? 1 : n.t === "dir" ? n.files : 0), 0),
                    marks: small.reduce((s, n) => s + (n.t === "file" ? (n.status ? 1 : 0) : n.marks || 0), 0),
                });
            }
            drawn.sort(larger);
            const f = drawn.indexOf(freeNode);
            if (f >= 0) { /* the image first, then what is left of the partition, as in the bar */
                drawn.push(drawn.splice(f, 1)[0]);
            }
            const rects = squarify(drawn.map((n) => n.bytes * scale), x, y, w, h);
            drawn.forEach((n, k) => {
                if (n.t === "dir") {
                    const inner = inside(rects[k]);
                    out.push({ n, r: rects[k], label: inner.label });
                    jobs.push({ items: n.items, r: inner.r, dir: n });
                } else {
                    out.push({ n, r: rects[k] });
                }
            });
        }
        return out;
    }

    /* ---- Drawing the map. ---- */

    function px(v) {
        return Math.round(v * 100) / 100 + "px";
    }
    function place(r) {
        return `left:${px(r[0])};top:${px(r[1])};width:${px(r[2])};height:${px(r[3])}`;
    }
    function label(text, sub, r) {
        if (r[2] < 28 || r[3] < 14) {
            return "";
        }
        return `<span class="l">${esc(text)}${sub && r[3] >= 28 ? `<small>${esc(sub)}</small>` : ""}</span>`;
    }
    /* A file's metadata and padding as strips at the far end of its long side. */
    function strips(f, r) {
        const total = f.data + f.metadata + f.padding;
        if (r[2] * r[3] < 40 || total === 0 || (f.metadata === 0 && f.padding === 0)) {
            return "";
        }
        const m = ((100 * f.metadata) / total).toFixed(3), p = ((100 * f.padding) / total).toFixed(3);
        const across = r[2] >= r[3];
        const meta = across ? `top:0;bottom:0;right:${p}%;width:${m}%` : `left:0;right:0;bottom:${p}%;height:${m}%`;
        const pad = across ? `top:0;bottom:0;right:0;width:${p}%` : `left:0;right:0;bottom:0;height:${p}%`;
        return (f.metadata ? `<i class="i-meta" style="${meta}"></i>` : "") +
               (f.padding ? `<i class="i-pad" style="${pad}"></i>` : "");
    }

    function drawOne(o, k) {
        const n = o.n, r = o.r, at = `data-k="${k}" style="${place(r)}" data-bytes="${n.bytes}"`;
        const tiny = r[2] < 4 || r[3] < 4 ? " tiny" : "";
        switch (n.t) {
        case "dir": {
            const name = nameOf(n);
            const head = o.label
                ? `<span class="gl" tabindex="0" role="button" aria-label="${esc("directory " + (n.path || "/") + ", " + num(n.bytes) + " bytes; Enter to zoom in")}">${esc(name + (n.i ? "/" : ""))} \u00b7 ${esc(human(n.bytes))}</span>`
                : "";
            return `<div class="g d${n.depth % 3}" ${at} data-dir="${esc(n.path)}" data-di="${n.i}" data-files="${n.files}">${head}</div>`;
        }
        case "file": {
            const f = n.f;
            const badge = n.status && r[2] >= 16 && r[3] >= 14 ? `<span class="badge">${n.status === "added" ? "+" : "\u0394"}</span>` : "";
            return `<div class="r f k-${f.kind}${n.status ? " " + n.status : ""}${tiny}" ${at} data-i="${n.i}" data-path="${esc(n.path)}"` +
                   `${n.status ? ` data-diff="${n.status}"` : ""} tabindex="0" role="button" aria-label="${esc(n.path + ", " + num(f.size) + " bytes" + (n.status ? ", " + n.status : ""))}">` +
                   strips(f, r) + label(nameOf(n), human(f.size), r) + badge + "</div>";
        }
        case "meta":
        case "pad":
            return `<div class="r own-${n.t}${tiny}" ${at} data-own="${n.t === "meta" ? "metadata" : "padding"}" data-dir="${esc(n.dir.path)}" data-di="${n.dir.i}" tabindex="0" role="button"` +
                   ` aria-label="${esc((n.t === "meta" ? "metadata" : "padding") + " of directory " + (n.dir.path || "/") + ", " + num(n.bytes) + " bytes")}">` +
                   label(n.t === "meta" ? "records" : "padding", human(n.bytes), r) + "</div>";
        case "agg":
            return `<div class="r agg${n.marks ? " changed" : ""}${tiny}" ${at} data-agg="${n.members.length}" data-files="${n.files}"` +
                   ` data-dir="${esc(n.dir ? n.dir.path : "")}" data-di="${n.dir ? n.dir.i : -1}" tabindex="0" role="button"` +
                   ` aria-label="${esc(plural(n.files, "small file") + ", " + num(n.bytes) + " bytes")}">` +
                   label(plural(n.files, "small file"), human(n.bytes), r) + "</div>";
        case "free":
            return `<div class="r free" ${at} data-free="1" tabindex="0" role="button" aria-label="${esc("free, " + num(n.bytes) + " bytes")}">` +
                   label("free", human(n.bytes), r) + "</div>";
        }
        return "";
    }

    /* ---- What a rectangle is: the hover card and the details panel. ---- */

    function facts(rows, head) {
        return `<dl class="facts">${head ? `<dt class="head">${head}</dt><dd hidden></dd>` : ""}` +
               rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("") + "</dl>";
    }
    function shares(b) {
        return pct(b, T.image) + " of the image" + (hasCap ? ", " + pct(b, T.capacity) + " of the capacity" : "");
    }
    const dirDelta = new Map(D ? D.dirs.map((d) => [d.path, d]) : []);

    function describe(n) {
        switch (n.t) {
        case "file": {
            const f = n.f, rows = [
                ["kind", esc(f.kind)],
                ["size", esc(bytes(f.size))],
                ["offset", esc(num(f.offset) + " (" + hex(f.offset) + ")")],
            ];
            let align = esc(num(f.align) + "-byte aligned");
            if (f.align_needed !== undefined) {
                align += f.offset % f.align_needed === 0
                    ? esc(", needs " + num(f.align_needed))
                    : ` <span class="warn">${esc("needs " + num(f.align_needed) + ": misaligned")}</span>`;
            }
            rows.push(["alignment", align], ["metadata", esc(bytes(f.metadata))], ["padding", esc(bytes(f.padding))]);
            if (f.data !== f.size) {
                rows.push(["data", esc(bytes(f.data) + ": its bytes are another file's too")]);
            }
            rows.push(["on the map", esc(bytes(n.bytes) + ", " + shares(n.bytes))]);
            if (D) {
                rows.push(["since the base", n.status === "added" ? '<span class="warn">added</span>'
                    : n.status === "changed" ? esc("changed: " + num(n.change.old_size) + " \u2192 " + num(n.change.new_size) + " bytes (" + signed(n.change.new_size - n.change.old_size) + ")")
                    : "unchanged"]);
            }
            return facts(rows, `<span class="path">${esc(n.path)}</span>`);
        }
        case "dir": {
            const d = n.d, rows = [
                ["total", esc(bytes(d.total) + ", " + shares(d.total))],
                ["files", esc(num(n.files))],
                ["its records", esc(bytes(d.metadata) + " of metadata, " + num(d.padding) + " of padding")],
            ];
            if (D) {
                const c = dirDelta.get(n.path);
                rows.push(["since the base", esc(c ? num(c.old_total) + " \u2192 " + num(c.new_total) + " bytes (" + signed(c.delta) + ")" : "same total")]);
            }
            return facts(rows, `directory <span class="path">${esc(n.path === "" ? "/" : n.path + "/")}</span>`);
        }
        case "meta":
        case "pad":
            return facts([["bytes", esc(bytes(n.bytes) + ", " + shares(n.bytes))]],
                esc(n.t === "meta" ? "Metadata of directory " : "Padding in directory ") + `<span class="path">${esc(n.dir.path || "/")}</span>` +
                esc(n.t === "meta" ? ": its record headers and names" : ": bytes no entry uses"));
        case "agg": {
            const list = n.members.slice(0, 8).map((m) =>
                `<span class="path">${esc(m.t === "file" ? m.path : m.t === "dir" ? m.path + "/" : (m.t === "meta" ? "(metadata)" : "(padding)"))}</span> ${esc(human(m.bytes))}`).join("<br>");
            return facts([
                ["bytes", esc(bytes(n.bytes) + ", " + shares(n.bytes))],
                ["largest", list + (n.members.length > 8 ? "<br>\u2026 and " + esc(num(n.members.length - 8)) + " more" : "")],
                ["changed or added", esc(num(n.marks))],
            ], esc(plural(n.files, "file") + " too small to draw one by one in ") + `<span class="path">${esc(n.dir ? n.dir.path || "/" : "/")}</span>` + esc(": the table lists them; click to zoom in"));
        }
        case "free":
            return facts([["bytes", esc(bytes(n.bytes) + ", " + pct(n.bytes, T.capacity) + " of the capacity")]], "Free space");
        }
        return "";
    }

    /* ---- The page around the map. ---- */

    function totalsBar() {
        const over = hasCap && free < 0;
        const whole = hasCap && !over ? T.capacity : T.image;
        const parts = [["data", T.data], ["metadata", T.metadata], ["padding", T.padding]];
        if (hasCap && !over) {
            parts.push(["free", free]);
        }
        const bar = parts.map(([k, v]) =>
            `<span class="b-${k}" data-part="${k}" data-bytes="${v}" style="width:${((100 * v) / (whole || 1)).toFixed(4)}%" title="${esc(k + ": " + num(v) + " bytes")}"></span>`).join("") +
            (over ? `<span class="cap" style="left:${((100 * T.capacity) / T.image).toFixed(4)}%" title="capacity"></span>` : "");
        const legend = parts.map(([k, v]) =>
            `<li><span class="sw b-${k}"></span>${esc(k)} <b>${esc(num(v))}</b> bytes (${esc(pct(v, whole))})</li>`).join("");
        return `<div class="bar" id="bar" role="img" aria-label="${esc(parts.map(([k, v]) => k + " " + num(v) + " bytes").join(", "))}">${bar}</div>` +
               `<ul class="legend totals-legend" id="totals">${legend}</ul>`;
    }

    function summary() {
        const nDirs = T.dirs - 1;
        let s = `<b>${esc(bytes(T.image))}</b> in ${esc(num(T.files))} file${T.files === 1 ? "" : "s"} and ${esc(num(nDirs))} director${nDirs === 1 ? "y" : "ies"}`;
        if (hasCap) {
            s += ` \u00b7 <b>${esc(pct(T.image, T.capacity))}</b> of ${esc(bytes(T.capacity))} \u00b7 ` +
                 (free >= 0 ? `<b>${esc(bytes(free))}</b> free` : `<span class="over">${esc("over capacity by " + bytes(-free))}</span>`);
        }
        if (D) {
            s += ` \u00b7 <b>${esc(signed(D.delta))}</b> bytes since the base`;
        }
        return `<p class="summary" id="summary">${s}</p>`;
    }

    function kindLegend() {
        const count = {}, size = {};
        for (const n of files) {
            count[n.f.kind] = (count[n.f.kind] || 0) + 1;
            size[n.f.kind] = (size[n.f.kind] || 0) + n.bytes;
        }
        const kinds = KINDS.filter((k) => count[k]).map((k) =>
            `<li><span class="sw k-${k}"></span>${esc(k)} (${esc(num(count[k]))}, ${esc(human(size[k]))})</li>`);
        const other = [
            '<li><span class="sw own-meta"></span>a directory\'s records</li>',
            '<li><span class="sw own-pad"></span>padding</li>',
            '<li><span class="sw k-data"><span class="sw-meta"></span></span>a file\'s metadata: the darker strip at its end</li>',
            '<li><span class="sw agg"></span>small files, grouped</li>',
        ];
        if (hasCap && free > 0) {
            other.push('<li><span class="sw free"></span>free</li>');
        }
        if (D) {
            other.push('<li><span class="sw added"></span>added (+)</li>', '<li><span class="sw changed"></span>changed (\u0394)</li>');
        }
        return `<ul class="legend kind-legend" id="legend">${kinds.join("")}${other.join("")}</ul>`;
    }

    /* A table as blocks of rows, each its own <table> with the same fixed
     * columns; in a large table, each block is laid out only when it is
     * scrolled to (content-visibility): laying out forty thousand rows of
     * one auto-sized table takes Chromium ten seconds. cols: [name,
     * class, width in px (0: what is left)]. */
    function table(id, caption, cols, rows) {
        const group = "<colgroup>" + cols.map(([, , w]) => (w ? `<col style="width:${w}px">` : "<col>")).join("") + "</colgroup>";
        const head = `<table class="cols head">${group}<thead><tr>` +
                     cols.map(([name, cls]) => `<th${cls ? ` class="${cls}"` : ""}>${name}</th>`).join("") + "</tr></thead></table>";
        const blocks = [];
        const lazy = rows.length > 1000; /* small tables render whole: for printing, and full-page screenshots */
        for (let i = 0; i < rows.length; i += 250) {
            const part = rows.slice(i, i + 250);
            blocks.push(`<div${lazy ? ` class="lazy" style="contain-intrinsic-size:auto ${part.length * 21}px"` : ""}><table class="cols">${group}<tbody>${part.join("")}</tbody></table></div>`);
        }
        if (!rows.length) {
            blocks.push(`<table class="cols">${group}<tbody><tr><td class="p" colspan="${cols.length}">none</td></tr></tbody></table>`);
        }
        return `<p class="caption">${caption}</p><div class="scroll" id="${id}" role="table" aria-label="${esc(caption)}">${head}${blocks.join("")}</div>`;
    }

    function fileTable() {
        const order = files.slice().sort((a, b) => b.f.size - a.f.size || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.i - b.i));
        const hasNeed = files.length > 0 && files[0].f.align_needed !== undefined;
        const rows = order.map((n) => {
            const f = n.f;
            const misaligned = hasNeed && f.offset % f.align_needed !== 0;
            return `<tr data-i="${n.i}" data-path="${esc(n.path)}"><td class="p">${esc(n.path)}</td><td class="t">${f.kind}</td>` +
                   `<td>${num(f.size)}</td><td>${num(f.offset)}</td><td${misaligned ? ' class="warn"' : ""}>${num(f.align)}</td>` +
                   (hasNeed ? `<td>${num(f.align_needed)}</td>` : "") +
                   `<td>${num(f.metadata)}</td><td>${num(f.padding)}</td><td>${pct(n.bytes, T.image)}</td>` +
                   (D ? `<td class="t ${n.status}">${n.status || "\u2013"}</td>` : "") + "</tr>";
        });
        const cols = [["path", "p", 0], ["kind", "t", 64], ["size", "", 96], ["offset", "", 96], ["align", "", 64]];
        if (hasNeed) {
            cols.push(["needs", "", 64]);
        }
        cols.push(["metadata", "", 92], ["padding", "", 84], ["share", "", 72]);
        if (D) {
            cols.push(["change", "t", 80]);
        }
        return "<h2>Files</h2>" + table("files", "Every file of the image, largest first. Metadata: its record header and name; " +
            "padding: bytes before its data to align it. Click a row to find it on the map.", cols, rows);
    }

    function dirTable() {
        const rows = dirs.map((n) => `<tr data-di="${n.i}" data-dir="${esc(n.path)}"><td class="p">${esc(n.path === "" ? "/" : n.path + "/")}</td>` +
            `<td>${num(n.d.total)}</td><td>${num(n.files)}</td><td>${num(n.d.metadata)}</td><td>${num(n.d.padding)}</td><td>${pct(n.d.total, T.image)}</td></tr>`);
        return "<h2>Directories</h2>" + table("dirs", "Each directory with everything below it; metadata and padding are its own records.",
            [["directory", "p", 0], ["total", "", 110], ["files", "", 80], ["metadata", "", 92], ["padding", "", 84], ["share", "", 72]], rows);
    }

    function diffSection() {
        if (!D) {
            return "";
        }
        const sizeOf = new Map(files.map((n) => [n.path, n.f.size]));
        const rows = [];
        D.added.forEach((p) => rows.push({ what: "added", path: p, old: 0, now: sizeOf.get(p) || 0 }));
        D.removed.forEach((p, k) => rows.push({ what: "removed", path: p, old: F.removed_size[k], now: 0 }));
        D.changed.forEach((c) => rows.push({ what: "changed", path: c.path, old: c.old_size, now: c.new_size }));
        rows.sort((a, b) => Math.abs(b.now - b.old) - Math.abs(a.now - a.old) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        const body = rows.map((c) => `<tr data-path="${esc(c.path)}" data-change="${c.what}"><td class="t ${c.what}">${c.what}</td><td class="p">${esc(c.path)}</td>` +
            `<td>${c.what === "added" ? "\u2013" : num(c.old)}</td><td>${c.what === "removed" ? "\u2013" : num(c.now)}</td><td>${signed(c.now - c.old)}</td></tr>`);
        const dirRows = D.dirs.slice().sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
            .map((d) => `<tr data-dir="${esc(d.path)}"><td class="p">${esc(d.path === "" ? "/" : d.path + "/")}</td><td>${num(d.old_total)}</td><td>${num(d.new_total)}</td><td>${signed(d.delta)}</td></tr>`);
        const blocks = `${num(D.blocks_changed)} of ${num(D.blocks)} erase blocks of ${num(D.erase_block)} bytes differ (${pct(D.blocks_changed, D.blocks)}): what reflashing the changes rewrites`;
        return `<h2>Since the base</h2><p class="summary" id="diff-summary">Against <span class="path">${esc(D.base)}</span> (${esc(bytes(D.base_size))}): ` +
               `<b id="delta" data-delta="${D.delta}">${esc(signed(D.delta))} bytes</b>; ${num(D.added.length)} added, ${num(D.removed.length)} removed, ` +
               `${num(D.changed.length)} changed, ${num(D.unchanged)} unchanged. <span id="blocks" data-blocks-changed="${D.blocks_changed}" data-blocks="${D.blocks}">${esc(blocks)}</span>.</p>` +
               table("changes", "Changed, added and removed files, largest change first. Removed files are not on the map.",
                   [["change", "t", 92], ["path", "p", 0], ["before", "", 96], ["after", "", 96], ["\u0394 bytes", "", 96]], body) +
               (dirRows.length ? table("dir-changes", "Directories whose totals moved.",
                   [["directory", "p", 0], ["before", "", 110], ["after", "", 110], ["\u0394 bytes", "", 96]], dirRows) : "");
    }

    /* ---- Putting it together, and what the reader can do with it. ---- */

    let zoom = dirs[0];
    let showFree = hasCap && free > 0;
    let drawn = [];
    let selected = null;
    let tipFor = null; /* what the hover card shows: redrawn only when the pointer moves to another */

    const name = R.image;
    document.title = "romfs report: " + name;
    page.innerHTML =
        `<h1>romfs report: <span class="path">${esc(name)}</span></h1>` + summary() + totalsBar() +
        `<div class="toolbar"><nav class="crumbs" id="crumbs" aria-label="zoom"></nav>` +
        (hasCap && free > 0 ? '<label><input type="checkbox" id="show-free" checked> free space on the map</label>' : "") +
        '<span id="culled" class="summary"></span></div>' +
        `<div id="map" role="group" aria-label="treemap of the image: area is bytes"></div>` +
        '<div id="details" aria-live="polite">Point at a rectangle, or click or tab to it, for its path, size, offset and alignment; click a directory\'s label to zoom in, Escape to zoom out.</div>' +
        kindLegend() + diffSection() + fileTable() + dirTable() + '<div id="tip" role="tooltip"></div>';

    const map = document.getElementById("map");
    const tip = document.getElementById("tip");
    const details = document.getElementById("details");

    function draw() {
        const W = map.clientWidth;
        const H = Math.round(Math.min(Math.max(W * 0.58, 340), 1100));
        map.style.height = H + 2 + "px";
        const top = [zoom];
        if (zoom === dirs[0] && showFree) {
            top.push(freeNode);
        }
        drawn = layout(top, W, H);
        tipFor = null;
        map.innerHTML = drawn.map(drawOne).join("");
        const aggs = drawn.filter((o) => o.n.t === "agg");
        const hidden = aggs.reduce((s, o) => s + o.n.files, 0);
        document.getElementById("culled").textContent = aggs.length
            ? plural(hidden, "file") + " too small to draw " + (hidden === 1 ? "is" : "are") + " grouped in " +
              plural(aggs.length, "block") + " (zoom in to see them)"
            : "";
        const chain = [];
        for (let d = zoom; d; d = d.up >= 0 ? dirs[d.up] : null) {
            chain.unshift(d);
        }
        document.getElementById("crumbs").innerHTML = "zoom: " + chain.map((d) =>
            `<button type="button" data-di="${d.i}"${d === zoom ? ' aria-current="true"' : ""}>${esc(d.i ? nameOf(d) : "/")}</button>`).join(" / ");
        selected = null;
    }

    function zoomTo(d) {
        if (d && d !== zoom) {
            zoom = d;
            draw();
        }
    }
    function showTip(o, x, y) {
        if (tipFor !== o) {
            tipFor = o;
            tip.innerHTML = describe(o.n);
        }
        tip.style.display = "block";
        const r = tip.getBoundingClientRect();
        tip.style.left = Math.max(4, Math.min(x + 14, innerWidth - r.width - 8)) + "px";
        tip.style.top = Math.max(4, y + 16 + r.height > innerHeight ? y - r.height - 10 : y + 16) + "px";
    }
    function select(el) {
        if (selected) {
            selected.classList.remove("sel");
        }
        for (const row of document.querySelectorAll("tr.hl")) {
            row.classList.remove("hl");
        }
        selected = el;
        el.classList.add("sel");
        const o = drawn[+el.dataset.k];
        details.innerHTML = describe(o.n);
        if (o.n.t === "file") {
            const row = document.querySelector(`#files tr[data-i="${o.n.i}"]`);
            if (row) {
                row.classList.add("hl");
            }
        }
    }
    function target(e) {
        const el = e.target.closest("[data-k]");
        return el && map.contains(el) ? el : null;
    }

    map.addEventListener("mousemove", (e) => {
        const el = target(e);
        if (el) {
            showTip(drawn[+el.dataset.k], e.clientX, e.clientY);
        } else {
            tip.style.display = "none";
        }
    });
    map.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    map.addEventListener("click", (e) => {
        const el = target(e);
        if (!el) {
            return;
        }
        const n = drawn[+el.dataset.k].n;
        if (e.target.closest(".gl")) {
            zoomTo(n);
        } else if (n.t === "agg" && n.dir && n.dir !== zoom) {
            zoomTo(n.dir);
        } else {
            select(el);
        }
    });
    map.addEventListener("focusin", (e) => {
        const el = target(e);
        if (el) {
            select(el);
        }
    });
    map.addEventListener("keydown", (e) => {
        const el = target(e);
        if ((e.key === "Enter" || e.key === " ") && el) {
            const n = drawn[+el.dataset.k].n;
            if (n.t === "dir" || (n.t === "agg" && n.dir)) {
                e.preventDefault();
                zoomTo(n.t === "dir" ? n : n.dir);
                map.querySelector("[tabindex]")?.focus();
            }
        } else if (e.key === "Escape" && zoom.up >= 0) {
            zoomTo(dirs[zoom.up]);
            map.querySelector("[tabindex]")?.focus();
        }
    });
    document.getElementById("crumbs").addEventListener("click", (e) => {
        const b = e.target.closest("button[data-di]");
        if (b) {
            zoomTo(dirs[+b.dataset.di]);
        }
    });
    document.getElementById("show-free")?.addEventListener("change", (e) => {
        showFree = e.target.checked;
        draw();
    });
    document.getElementById("files").addEventListener("click", (e) => {
        const row = e.target.closest("tr[data-i]");
        if (!row) {
            return;
        }
        const n = files[+row.dataset.i];
        let el = map.querySelector(`[data-i="${n.i}"]`);
        if (!el) { /* grouped, or outside the zoomed directory */
            zoomTo(dirs[n.up]);
            el = map.querySelector(`[data-i="${n.i}"]`);
        }
        if (el) {
            select(el);
            map.scrollIntoView({ block: "nearest" });
        }
    });
    let pending = 0, width = map.clientWidth;
    addEventListener("resize", () => {
        cancelAnimationFrame(pending);
        pending = requestAnimationFrame(() => {
            if (map.clientWidth !== width) {
                width = map.clientWidth;
                draw();
            }
        });
    });

    draw();
    html.dataset.renderMs = String(Math.round(performance.now() - started));
    html.dataset.state = "ready";
})();
