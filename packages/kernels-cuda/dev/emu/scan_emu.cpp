// Runs the lab's checks against the real kernel sources under the CPU emulator.
// Build+run (from packages/kernels-cuda/dev):
//   g++ -O1 -std=c++20 -DSSCAN_EMU -Iemu -I../csrc emu/scan_emu.cpp ../csrc/*.cu ... (see Makefile: make emu)
#include "../scan_lab.cu"
