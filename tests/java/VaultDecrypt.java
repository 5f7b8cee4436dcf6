import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Properties;
import java.util.TreeSet;
import javax.crypto.Cipher;

/**
 * The test's proof that wso2patch encrypts as Carbon decrypts: decrypt every entry of a
 * cipher-text.properties the way Carbon's file-based secret repository does (KeyStore of the
 * configured type, the alias's private key, Cipher.getInstance("RSA"), base64, new String(bytes)
 * in the default charset, which wso2server.sh sets to UTF-8) and print alias=plaintext lines.
 *
 * Usage: java -Dfile.encoding=UTF-8 VaultDecrypt KEYSTORE TYPE STOREPASS KEYPASS ALIAS CIPHER_TEXT_PROPERTIES
 */
public final class VaultDecrypt {
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: VaultDecrypt KEYSTORE TYPE STOREPASS KEYPASS ALIAS CIPHER_TEXT_PROPERTIES");
            System.exit(2);
        }
        KeyStore store = KeyStore.getInstance(args[1]);
        try (InputStream in = new FileInputStream(args[0])) {
            store.load(in, args[2].toCharArray());
        }
        Key key = store.getKey(args[4], args[3].toCharArray());
        if (!(key instanceof PrivateKey)) {
            throw new IllegalStateException("no private key under alias " + args[4]);
        }
        Properties secrets = new Properties();
        try (InputStream in = new FileInputStream(args[5])) {
            secrets.load(in);
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        for (String alias : new TreeSet<>(secrets.stringPropertyNames())) {
            Cipher cipher = Cipher.getInstance("RSA");
            cipher.init(Cipher.DECRYPT_MODE, key);
            // the strict decoder: a line break or anything but standard base64 in the value fails here
            byte[] plain = cipher.doFinal(Base64.getDecoder().decode(secrets.getProperty(alias)));
            out.println(alias + "=" + new String(plain));
        }
    }
}
