/* Built with the flags from `pkg-config --cflags --libs network_system`. */
#include <network_system.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    printf("pkg-config consumer: network_system %s\n", ns_version());
    return strcmp(ns_version(), "0.1.0") == 0 ? 0 : 1;
}
