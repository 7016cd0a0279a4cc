/* pam_iamdb: hand the whole password (an IAM auth token) to a validator.
 *
 *   auth required /path/pam_iamdb.so /usr/bin/python3 -IS validator.py config.json pg
 *
 * The module arguments are the validator's argv (argv[0] an absolute path).
 * The token goes to its stdin in full (pam_exec's expose_authtok cuts at
 * 511 bytes; session-token tokens are up to ~3 KB). PAM_USER and PAM_RHOST
 * are its only environment. Exit status 0 -> PAM_SUCCESS, else PAM_AUTH_ERR.
 */
#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int run_validator(int argc, const char **argv, const char *user,
                         const char *rhost, const char *token)
{
    char env_user[512], env_rhost[512];
    char *envp[3] = {env_user, env_rhost, NULL};
    char **args;
    int pipefd[2], status = 0, rc = PAM_AUTH_ERR;
    struct sigaction ign, old_pipe;
    pid_t pid;

    snprintf(env_user, sizeof env_user, "PAM_USER=%s", user);
    snprintf(env_rhost, sizeof env_rhost, "PAM_RHOST=%s", rhost ? rhost : "");
    args = calloc((size_t)argc + 1, sizeof *args);
    if (args == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < argc; i++)
        args[i] = (char *)argv[i];
    if (pipe(pipefd) != 0) {
        free(args);
        return PAM_SYSTEM_ERR;
    }
    pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        free(args);
        return PAM_SYSTEM_ERR;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(pipefd[0], 0);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        execve(args[0], args, envp);
        _exit(127);
    }
    free(args);
    close(pipefd[0]);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    write_all(pipefd[1], token, strlen(token));
    close(pipefd[1]);
    sigaction(SIGPIPE, &old_pipe, NULL);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return PAM_SYSTEM_ERR;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = PAM_SUCCESS;
    return rc;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                   const char **argv)
{
    const char *user = NULL, *token = NULL;
    const void *rhost = NULL;
    (void)flags;
    if (argc < 1 || argv[0][0] != '/') {
        pam_syslog(pamh, LOG_ERR, "pam_iamdb: first argument must be an absolute path");
        return PAM_SERVICE_ERR;
    }
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL)
        return PAM_USER_UNKNOWN;
    if (pam_get_authtok(pamh, PAM_AUTHTOK, &token, NULL) != PAM_SUCCESS || token == NULL)
        return PAM_AUTH_ERR;
    pam_get_item(pamh, PAM_RHOST, &rhost);
    return run_validator(argc, argv, user, (const char *)rhost, token);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh; (void)flags; (void)argc; (void)argv;
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh; (void)flags; (void)argc; (void)argv;
    return PAM_SUCCESS;
}
