/* app: placeholder until the module lands (issue 12). */
