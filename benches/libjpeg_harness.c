/* In-process libjpeg-turbo decode timing for benches/compare.sh, the twin of decodebench.rs.
 *
 * usage: libjpeg_harness FILE DENOM ITERATIONS
 * Reads FILE into memory once, then ITERATIONS times decodes it at scale 1/DENOM to RGB, as
 * `djpeg -scale 1/DENOM` does (default DCT method, fancy upsampling), into a reused buffer.
 * Prints one line per iteration: milliseconds. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jpeglib.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct failure {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
};

static void fail(j_common_ptr cinfo) {
    (*cinfo->err->output_message)(cinfo);
    longjmp(((struct failure *)cinfo->err)->jump, 1);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FILE DENOM ITERATIONS\n", argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *contents = malloc(length);
    if (!contents || fread(contents, 1, length, file) != (size_t)length) return 1;
    fclose(file);
    int denom = atoi(argv[2]);
    int iterations = atoi(argv[3]);
    unsigned char *pixels = NULL;
    for (int i = 0; i < iterations; i++) {
        struct jpeg_decompress_struct cinfo;
        struct failure err;
        cinfo.err = jpeg_std_error(&err.mgr);
        err.mgr.error_exit = fail;
        if (setjmp(err.jump)) return 1;
        double start = now_ms();
        jpeg_create_decompress(&cinfo);
        jpeg_mem_src(&cinfo, contents, length);
        jpeg_read_header(&cinfo, TRUE);
        cinfo.scale_num = 1;
        cinfo.scale_denom = denom;
        cinfo.out_color_space = JCS_RGB;
        jpeg_start_decompress(&cinfo);
        size_t row = (size_t)cinfo.output_width * cinfo.output_components;
        if (!pixels) pixels = malloc(row * cinfo.output_height);
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW rows[1] = {pixels + row * cinfo.output_scanline};
            jpeg_read_scanlines(&cinfo, rows, 1);
        }
        jpeg_finish_decompress(&cinfo);
        jpeg_destroy_decompress(&cinfo);
        printf("%.3f\n", now_ms() - start);
    }
    free(pixels);
    free(contents);
    return 0;
}
