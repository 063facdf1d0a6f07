#include <linux/types.h>
#include <linux/i2c-dev.h>
#include <i2c/smbus.h>
#include <sys/ioctl.h>
/* ioctl is variadic, which Swift cannot call: selecting the slave address needs this wrapper. */
static inline int evsed_i2c_select_address(int fd, int address) { return ioctl(fd, I2C_SLAVE, address); }
