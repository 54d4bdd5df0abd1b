/* In-process libvips timing harness for benches/compare.sh.
 *
 * usage: vips_harness FILE SIZE jpeg|png|gif|tiff ITERATIONS
 * Reads FILE into memory once, then ITERATIONS times: vips_thumbnail_buffer to SIZE wide
 * (height unconstrained, as person-image's w=SIZE) and save to FORMAT (jpeg|png|gif) in memory,
 * with libvips' operation cache off. Prints one line per iteration: milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s FILE SIZE jpeg|png|gif|tiff ITERATIONS\n", argv[0]);
        return 2;
    }
    if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
    vips_cache_set_max(0);
    gchar *contents;
    gsize length;
    if (!g_file_get_contents(argv[1], &contents, &length, NULL)) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    int size = atoi(argv[2]);
    const char *format = argv[3];
    int iterations = atoi(argv[4]);
    for (int i = 0; i < iterations; i++) {
        double start = now_ms();
        VipsImage *thumb;
        if (vips_thumbnail_buffer(contents, length, &thumb, size, "height", 10000000, NULL))
            vips_error_exit(NULL);
        void *out;
        size_t out_len;
        int failed;
        if (strcmp(format, "jpeg") == 0)
            failed = vips_jpegsave_buffer(thumb, &out, &out_len, "Q", 85, "strip", TRUE, NULL);
        else if (strcmp(format, "png") == 0)
            failed = vips_pngsave_buffer(thumb, &out, &out_len, "compression", 1, "strip", TRUE, NULL);
        else if (strcmp(format, "tiff") == 0)
            failed = vips_tiffsave_buffer(thumb, &out, &out_len, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE, "predictor", VIPS_FOREIGN_TIFF_PREDICTOR_HORIZONTAL, "strip", TRUE, NULL);
        else
            failed = vips_gifsave_buffer(thumb, &out, &out_len, NULL);
        if (failed) vips_error_exit(NULL);
        double elapsed = now_ms() - start;
        printf("%.3f\n", elapsed);
        g_free(out);
        g_object_unref(thumb);
    }
    g_free(contents);
    vips_shutdown();
    return 0;
}
