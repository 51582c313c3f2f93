#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outputs/align_header.h"
#include "outputs/depfile.h"
#include "outputs/flash_file.h"
#include "outputs/listing_file.h"
#include "outputs/output.h"
#include "outputs/provenance.h"
#include "outputs/report.h"
#include "util/diag.h"
#include "util/path.h"

const output_kind *const output_kinds[] = {
    &listing_output,
    &depfile_output,
    &align_header_output,
    &report_output,
    &provenance_output,
    &sbom_output,
    &flash_file_output,
    NULL,
};

const output_kind *output_kind_for_option(const char *option) {
    for (size_t i = 0; output_kinds[i] != NULL; i++) {
        if (output_kinds[i]->option != NULL && !strcmp(output_kinds[i]->option, option)) {
            return output_kinds[i];
        }
    }
    return NULL;
}

int output_check_writable(const output *o) {
    struct stat st;
    if (stat(o->path, &st) == 0 && S_ISDIR(st.st_mode)) {
        diag_error("%s: cannot write %s: it is a directory", shown(o->path), o->kind->name);
        return -1;
    }
    char *dir = path_dirname_abs(o->path);
    int rc = 0;
    if (stat(dir, &st) != 0 || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) ||
        access(dir, W_OK) != 0) {
        diag_error("%s: cannot write %s: %s", shown(o->path), o->kind->name, strerror(errno));
        rc = -1;
    }
    free(dir);
    return rc;
}
