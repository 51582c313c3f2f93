#include "cli/deploy_options.h"

#include "flash/uf2.h"
#include "util/diag.h"
#include "util/number.h"

static int bad_number(const char *option, const char *what, const char *text) {
    diag_error("--%s must be %s, not '%s'", option, what, shown(text));
    return EXIT_USAGE;
}

static bool whole_number(const char *s, uint64_t max, uint64_t *out) {
    const char *rest;
    return parse_uint(s, out, &rest) && *rest == '\0' && *out <= max;
}

/* VID:PID, each hex as dfu-util writes them. */
static bool vid_pid(const char *s, flash_opts *o) {
    uint64_t vid, pid;
    const char *rest;
    if (!parse_hex(s, 0xffff, &vid, &rest) || *rest != ':' ||
        !parse_hex(rest + 1, 0xffff, &pid, &rest) || *rest != '\0') {
        return false;
    }
    o->dfu_vid = (uint16_t)vid;
    o->dfu_pid = (uint16_t)pid;
    return true;
}

int cli_deploy_parse(const cli_args *a, int where, int file, deploy_request *r) {
    const char *address = cli_value(a, where + DO_ADDRESS);
    const char *part = cli_value(a, where + DO_PARTITION);
    const char *family = cli_value(a, file + DO_UF2_FAMILY);
    const char *alt = cli_value(a, file + DO_DFU_ALT);
    const char *ids = cli_value(a, file + DO_DFU_VID_PID);
    r->firmware = cli_value(a, where + DO_FIRMWARE);
    r->table = cli_value(a, where + DO_PARTITION_TABLE);
    if ((address != NULL) + (r->firmware != NULL) + (r->table != NULL) > 1) {
        diag_error("--address, --firmware and --partition-table each say where the partition "
                   "is; give one");
        return EXIT_USAGE;
    }
    if (part != NULL && r->firmware == NULL && r->table == NULL) {
        diag_error("--partition picks a partition of --firmware or --partition-table; give one");
        return EXIT_USAGE;
    }
    uint64_t v;
    if (address != NULL) {
        if (!whole_number(address, UINT64_MAX, &r->address)) {
            return bad_number("address", "an address such as 0x08100000", address);
        }
        r->where = WHERE_ADDRESS;
    } else if (r->firmware != NULL) {
        if (part != NULL && !whole_number(part, 255, &v)) {
            return bad_number("partition", "a partition number of the firmware (0, 1, ...)", part);
        }
        r->part = part != NULL ? (unsigned)v : 0;
        r->where = WHERE_FIRMWARE;
    } else if (r->table != NULL) {
        r->part_name = part;
        r->where = WHERE_TABLE;
    }
    if (family != NULL) {
        if (uf2_family_parse("--uf2-family", family, &r->opts.uf2_family) != 0) {
            return EXIT_USAGE;
        }
        r->opts.has_family = true;
    }
    if (alt != NULL) {
        if (!whole_number(alt, 255, &v)) {
            return bad_number("dfu-alt", "an alternate setting from 0 to 255", alt);
        }
        r->opts.dfu_alt = (unsigned)v;
        r->has_dfu_alt = true;
    }
    if (ids != NULL) {
        if (!vid_pid(ids, &r->opts)) {
            return bad_number("dfu-vid-pid", "two hex USB IDs such as 0483:df11", ids);
        }
        r->has_dfu_ids = true;
    }
    r->pad = cli_flag(a, file + DO_PAD);
    r->merge = cli_value(a, file + DO_MERGE);
    return 0;
}

const char *cli_deploy_given(const cli_args *a, int where, int file) {
    for (int k = 0; k < DO_WHERE_COUNT + DO_FILE_COUNT; k++) {
        int i = k < DO_WHERE_COUNT ? where + k : file + (k - DO_WHERE_COUNT);
        if (cli_count(a, i) > 0) {
            return a->cmd->options[i].longname;
        }
    }
    return NULL;
}
